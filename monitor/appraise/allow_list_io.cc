#include "monitor/appraise/allow_list_io.h"

#include <array>

#include "monitor/appraise/allow_list_binary.h"
#include "monitor/appraise/checksum_format.h"
#include "monitor/appraise/keylime_policy.h"
#include "monitor/appraise/native_format.h"

namespace imawatch::appraise {

std::string_view FormatName(AllowListFormat format) {
  switch (format) {
    case AllowListFormat::kNative:
      return "native";
    case AllowListFormat::kBinary:
      return "binary";
    case AllowListFormat::kKeylime:
      return "keylime";
    case AllowListFormat::kChecksum:
      return "sha256sum";
  }
  return "native";
}

std::optional<AllowListFormat> FormatFromName(std::string_view name) {
  if (name == "native") return AllowListFormat::kNative;
  if (name == "binary") return AllowListFormat::kBinary;
  if (name == "keylime") return AllowListFormat::kKeylime;
  for (std::string_view checksum :
       {"checksum", "sha1sum", "sha224sum", "sha256sum", "sha384sum", "sha512sum", "md5sum"}) {
    if (name == checksum) return AllowListFormat::kChecksum;
  }
  return std::nullopt;
}

AllowListFormat DetectFormat(std::string_view head) {
  if (LooksBinary({reinterpret_cast<const uint8_t*>(head.data()), head.size()}))
    return AllowListFormat::kBinary;
  size_t first = head.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && head[first] == '{') return AllowListFormat::kKeylime;
  return AllowListFormat::kNative;
}

Result<std::vector<std::shared_ptr<const AllowList>>> LoadAllowLists(Env& env,
                                                                     const std::vector<std::string>& paths) {
  std::vector<std::shared_ptr<const AllowList>> lists;
  for (const std::string& path : paths) {
    auto list = LoadAllowList(env, path);
    if (!list) return Error(list.error()).WithSource(path);
    lists.push_back(std::make_shared<const AllowList>(std::move(*list)));
  }
  return lists;
}

Result<AllowList> LoadAllowList(Env& env, const std::string& path, std::optional<AllowListFormat> format) {
  if (!format) {
    auto file = env.OpenForRead(path);
    if (!file) return file.error();
    std::array<uint8_t, 512> head{};
    auto n = (*file)->ReadAt(0, head);
    if (!n) return n.error();
    format = DetectFormat({reinterpret_cast<const char*>(head.data()), *n});
  }
  switch (*format) {
    case AllowListFormat::kNative:
      return LoadNative(env, path);
    case AllowListFormat::kBinary:
      return LoadBinary(env, path);
    case AllowListFormat::kKeylime:
      return LoadKeylimePolicy(env, path);
    case AllowListFormat::kChecksum:
      return LoadChecksums(env, path);
  }
  return LoadNative(env, path);
}

Result<std::string> SerializeAllowList(const AllowList& list, AllowListFormat format) {
  switch (format) {
    case AllowListFormat::kNative:
      return WriteNative(list);
    case AllowListFormat::kBinary:
      return SerializeBinary(list);
    case AllowListFormat::kKeylime:
      return WriteKeylimePolicy(list);
    case AllowListFormat::kChecksum:
      break;
  }
  return Error(ErrorKind::kUnsupported, "checksum lists are read-only: write native, keylime or binary");
}

Status SaveAllowList(Env& env, const std::string& path, const AllowList& list, AllowListFormat format) {
  auto bytes = SerializeAllowList(list, format);
  if (!bytes) return bytes.error();
  return env.WriteFileAtomically(path, *bytes);
}

}  // namespace imawatch::appraise
