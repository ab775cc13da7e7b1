#include "monitor/appraise/file_hasher.h"

#include <openssl/err.h>
#include <openssl/evp.h>

namespace imawatch::appraise {

struct FileHasher::Ctx {
  EVP_MD_CTX* md_ctx = EVP_MD_CTX_new();
  EVP_MD* md = nullptr;
  ~Ctx() {
    EVP_MD_CTX_free(md_ctx);
    EVP_MD_free(md);
  }
};

FileHasher::FileHasher(ima::HashAlgo algo) : algo_(algo), ctx_(std::make_unique<Ctx>()), buffer_(1 << 20) {
  std::string name(ima::Name(algo));
  ctx_->md = EVP_MD_fetch(nullptr, name == "sm3" ? "SM3" : name.c_str(), nullptr);
  ERR_clear_error();
}

FileHasher::~FileHasher() = default;

Result<ima::Digest> FileHasher::HashFile(Env& env, const std::string& path, std::atomic<uint64_t>* progress) {
  if (!ctx_->md || !ctx_->md_ctx) {
    return Error(ErrorKind::kUnsupported, "OpenSSL has no " + std::string(ima::Name(algo_)));
  }
  auto file = env.OpenForRead(path);
  if (!file) return file.error();
  if (EVP_DigestInit_ex(ctx_->md_ctx, ctx_->md, nullptr) != 1) {
    ERR_clear_error();
    return Error(ErrorKind::kInternal, "digest init failed");
  }
  uint64_t offset = 0;
  for (;;) {
    auto n = (*file)->ReadAt(offset, buffer_);
    if (!n) return n.error();
    if (*n == 0) break;
    EVP_DigestUpdate(ctx_->md_ctx, buffer_.data(), *n);
    offset += *n;
    if (progress) progress->fetch_add(*n, std::memory_order_relaxed);
  }
  ima::Digest digest = ima::Digest::Zero(algo_);
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_->md_ctx, digest.bytes.data(), &len) != 1 || len != digest.size) {
    ERR_clear_error();
    return Error(ErrorKind::kInternal, "digest final failed");
  }
  return digest;
}

Result<ima::Digest> FileHasher::HashBytes(std::span<const uint8_t> bytes) {
  if (!ctx_->md) return Error(ErrorKind::kUnsupported, "OpenSSL has no " + std::string(ima::Name(algo_)));
  ima::Digest digest = ima::Digest::Zero(algo_);
  unsigned int len = 0;
  if (EVP_DigestInit_ex(ctx_->md_ctx, ctx_->md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx_->md_ctx, bytes.data(), bytes.size()) != 1 ||
      EVP_DigestFinal_ex(ctx_->md_ctx, digest.bytes.data(), &len) != 1) {
    ERR_clear_error();
    return Error(ErrorKind::kInternal, "digest failed");
  }
  return digest;
}

}  // namespace imawatch::appraise
