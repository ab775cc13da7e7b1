#include "monitor/compliance/attested_reader.h"

#include <openssl/evp.h>

#include <memory>

namespace imawatch::compliance {

std::string HashHex(ima::HashAlgo algo, std::string_view bytes) {
  std::string name(ima::Name(algo));
  const EVP_MD* md = EVP_get_digestbyname(name.c_str());
  if (!md) return {};
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), out, &len, md, nullptr) != 1) return {};
  return ToHex({out, len});
}

AttestedReader::AttestedReader(Env& env, std::string root) : env_(env), root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  if (root_ == "/") root_.clear();
}

std::string AttestedReader::HostPath(std::string_view path) const { return root_ + std::string(path); }

bool AttestedReader::ExistsOnDisk(std::string_view path) { return env_.Exists(HostPath(path)); }

std::vector<std::string> AttestedReader::ListOnDisk(std::string_view dir) {
  std::string host = HostPath(dir);
  if (!env_.IsDirectory(host)) return {};
  auto names = env_.ListDirectory(host);
  if (!names) return {};
  std::vector<std::string> out;
  for (const std::string& name : *names) {
    auto st = env_.StatNoFollow(host + "/" + name);
    // Symlinks count: /etc/sysctl.d/99-sysctl.conf points at ../sysctl.conf.
    if (st && (st->type == FileType::kRegular || st->type == FileType::kSymlink)) out.push_back(name);
  }
  return out;
}

const std::variant<AttestedText, FileProblem>& AttestedReader::Read(const MeasuredFile& measured) {
  auto cached = cache_.find(measured.path);
  if (cached != cache_.end()) return cached->second;
  std::variant<AttestedText, FileProblem> outcome;
  std::string digest = std::string(ima::Name(measured.file_digest.algo)) + ":" + measured.file_digest.hex();
  auto text = env_.ReadFile(HostPath(measured.path), kMaxConfigFileBytes);
  if (!text) {
    if (text.error().kind() == ErrorKind::kNotFound) {
      outcome = FileProblem{FileProblem::kDrifted, measured.path,
                            measured.path +
                                ": content no longer matches the attested digest (file removed since "
                                "entry " +
                                std::to_string(measured.entry_index) + " measured " + digest + ")"};
    } else {
      outcome = FileProblem{FileProblem::kUnreadable, measured.path,
                            measured.path + ": cannot read: " + text.error().ToString()};
    }
  } else {
    std::string now = HashHex(measured.file_digest.algo, *text);
    if (now.empty()) {
      outcome = FileProblem{
          FileProblem::kUnreadable, measured.path,
          measured.path + ": cannot hash with " + std::string(ima::Name(measured.file_digest.algo))};
    } else if (now != measured.file_digest.hex()) {
      outcome =
          FileProblem{FileProblem::kDrifted, measured.path,
                      measured.path + ": content no longer matches the attested digest (entry " +
                          std::to_string(measured.entry_index) + " measured " + digest + ", on disk now " +
                          std::string(ima::Name(measured.file_digest.algo)) + ":" + now + ")"};
    } else {
      outcome = AttestedText{&measured, std::move(*text)};
    }
  }
  return cache_.emplace(measured.path, std::move(outcome)).first->second;
}

}  // namespace imawatch::compliance
