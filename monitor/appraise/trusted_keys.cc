#include "monitor/appraise/trusted_keys.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace imawatch::appraise {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};

std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

const EVP_MD* Md(ima::HashAlgo algo) {
  switch (algo) {
    case ima::HashAlgo::kSha1:
      return EVP_sha1();
    case ima::HashAlgo::kSha224:
      return EVP_sha224();
    case ima::HashAlgo::kSha256:
      return EVP_sha256();
    case ima::HashAlgo::kSha384:
      return EVP_sha384();
    case ima::HashAlgo::kSha512:
      return EVP_sha512();
    case ima::HashAlgo::kMd5:
      return EVP_md5();
    case ima::HashAlgo::kSm3_256:
      return EVP_get_digestbyname("SM3");
  }
  return nullptr;
}

// Last 4 bytes of the SubjectKeyIdentifier; without one, of SHA-1 over the public key bits
// (how the identifier is usually derived, and what evmctl falls back to).
uint32_t KeyIdOf(X509* cert) {
  const ASN1_OCTET_STRING* skid = X509_get0_subject_key_id(cert);
  uint8_t sha1[20];
  const uint8_t* bytes = nullptr;
  size_t size = 0;
  if (skid != nullptr && ASN1_STRING_length(skid) >= 4) {
    bytes = ASN1_STRING_get0_data(skid);
    size = static_cast<size_t>(ASN1_STRING_length(skid));
  } else {
    const ASN1_BIT_STRING* key = X509_get0_pubkey_bitstr(cert);
    unsigned int len = 0;
    EVP_Digest(ASN1_STRING_get0_data(key), static_cast<size_t>(ASN1_STRING_length(key)), sha1, &len,
               EVP_sha1(), nullptr);
    bytes = sha1;
    size = sizeof(sha1);
  }
  const uint8_t* tail = bytes + size - 4;
  return uint32_t{tail[0]} << 24 | uint32_t{tail[1]} << 16 | uint32_t{tail[2]} << 8 | tail[3];
}

std::string SubjectOf(X509* cert) {
  char buf[256];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof(buf));
  return buf;
}

}  // namespace

std::string_view SignatureStatusName(SignatureStatus status) {
  switch (status) {
    case SignatureStatus::kAbsent:
      return "absent";
    case SignatureStatus::kValid:
      return "valid";
    case SignatureStatus::kInvalid:
      return "invalid";
    case SignatureStatus::kUnknownKey:
      return "unknown-key";
    case SignatureStatus::kMalformed:
      return "malformed";
    case SignatureStatus::kUnsupported:
      return "unsupported";
  }
  return "absent";
}

struct TrustedKeys::Key {
  KeyInfo info;
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey;
};

TrustedKeys::TrustedKeys() = default;
TrustedKeys::~TrustedKeys() = default;
TrustedKeys::TrustedKeys(TrustedKeys&&) noexcept = default;
TrustedKeys& TrustedKeys::operator=(TrustedKeys&&) noexcept = default;

const TrustedKeys::KeyInfo& TrustedKeys::info(size_t i) const { return keys_[i]->info; }

Status TrustedKeys::AddCertificates(std::span<const uint8_t> bytes, const std::string& source) {
  std::vector<std::unique_ptr<X509, X509Free>> certs;
  const uint8_t* p = bytes.data();
  if (X509* der = d2i_X509(nullptr, &p, static_cast<long>(bytes.size())); der != nullptr) {
    certs.emplace_back(der);
  } else {
    ERR_clear_error();
    std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
    while (X509* pem = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) certs.emplace_back(pem);
    ERR_clear_error();  // the loop ends on "no start line"
  }
  if (certs.empty()) return InvalidInput("no X.509 certificate (DER or PEM) found", {.source = source});
  for (auto& cert : certs) {
    std::unique_ptr<EVP_PKEY, PkeyFree> pkey(X509_get_pubkey(cert.get()));
    if (!pkey) return InvalidInput("certificate public key: " + OpenSslError(), {.source = source});
    int type = EVP_PKEY_get_base_id(pkey.get());
    if (type != EVP_PKEY_RSA && type != EVP_PKEY_EC) {
      return Error(ErrorKind::kUnsupported, "only RSA and EC keys sign IMA files", {.source = source});
    }
    auto key = std::make_unique<Key>();
    key->info = {KeyIdOf(cert.get()), SubjectOf(cert.get()), source};
    key->pkey = std::move(pkey);
    keys_.push_back(std::move(key));
  }
  return Status::Ok();
}

Status TrustedKeys::LoadFile(Env& env, const std::string& path) {
  auto bytes = env.ReadFile(path, 1 << 20);
  if (!bytes) return bytes.error();
  return AddCertificates({reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()}, path);
}

SignatureCheck TrustedKeys::Verify(std::span<const uint8_t> signature, const ima::Digest& file_digest) const {
  auto parsed = ParseImaSignature(signature);
  if (!parsed) {
    return {parsed.error().kind() == ErrorKind::kUnsupported ? SignatureStatus::kUnsupported
                                                             : SignatureStatus::kMalformed};
  }
  return Verify(*parsed, file_digest);
}

SignatureCheck TrustedKeys::Verify(const ImaSignature& sig, const ima::Digest& file_digest) const {
  const EVP_MD* md = Md(sig.hash_algo);
  if (md == nullptr) return {SignatureStatus::kUnsupported};
  // The kernel hashes the file with the signature's algorithm: a digest in another one cannot
  // be what was signed.
  if (sig.hash_algo != file_digest.algo || file_digest.size != ima::DigestSize(file_digest.algo)) {
    return {SignatureStatus::kInvalid};
  }
  uint8_t file_id_hash[EVP_MAX_MD_SIZE];
  std::span<const uint8_t> signed_digest = file_digest.view();
  if (sig.version == 3) {
    std::vector<uint8_t> file_id = FileIdBytes(sig.type, file_digest);
    unsigned int len = 0;
    if (EVP_Digest(file_id.data(), file_id.size(), file_id_hash, &len, md, nullptr) != 1) {
      ERR_clear_error();
      return {SignatureStatus::kUnsupported};
    }
    signed_digest = {file_id_hash, len};
  }
  SignatureCheck result{SignatureStatus::kUnknownKey};
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i]->info.key_id != sig.key_id) continue;
    std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new(keys_[i]->pkey.get(), nullptr));
    bool ok =
        ctx && EVP_PKEY_verify_init(ctx.get()) == 1 && EVP_PKEY_CTX_set_signature_md(ctx.get(), md) == 1;
    if (ok && EVP_PKEY_get_base_id(keys_[i]->pkey.get()) == EVP_PKEY_RSA) {
      ok = EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) == 1;
    }
    if (ok && EVP_PKEY_verify(ctx.get(), sig.signature.data(), sig.signature.size(), signed_digest.data(),
                              signed_digest.size()) == 1) {
      return {SignatureStatus::kValid, static_cast<int>(i)};
    }
    ERR_clear_error();
    result.status = SignatureStatus::kInvalid;
  }
  return result;
}

Result<std::shared_ptr<const TrustedKeys>> LoadTrustedKeys(Env& env, const std::vector<std::string>& paths) {
  if (paths.empty()) return std::shared_ptr<const TrustedKeys>();
  auto keys = std::make_shared<TrustedKeys>();
  for (const std::string& path : paths) {
    Status loaded = keys->LoadFile(env, path);
    if (!loaded.ok()) return Error(loaded.error()).WithSource(path);
  }
  return std::shared_ptr<const TrustedKeys>(std::move(keys));
}

}  // namespace imawatch::appraise
