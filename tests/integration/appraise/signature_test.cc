// IMA signatures made by the real tools (evmctl ima_sign, openssl dgst -sign) checked by
// TrustedKeys, with `evmctl ima_verify` as the oracle it must agree with.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "monitor/appraise/appraiser.h"
#include "monitor/appraise/file_hasher.h"
#include "monitor/appraise/native_format.h"
#include "monitor/appraise/trusted_keys.h"
#include "monitor/base/hex.h"
#include "tests/testing/paths.h"

namespace imawatch::appraise {
namespace {

namespace fs = std::filesystem;
using imawatch::testing::ReadFileOrDie;
using imawatch::testing::RunCommand;

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

class SignatureTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(imawatch::testing::MakeTempDir("ima-sig"));
    MakeKey("rsa", {"-newkey", "rsa:2048"});
    MakeKey("ec", {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"});
    MakeKey("other", {"-newkey", "rsa:2048"});
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }

  static void MakeKey(const std::string& name, std::vector<std::string> key_args) {
    std::vector<std::string> argv = {"openssl", "req", "-x509"};
    argv.insert(argv.end(), key_args.begin(), key_args.end());
    for (const char* a : {"-nodes", "-days", "2", "-subj"}) argv.push_back(a);
    argv.push_back("/CN=imawatch test " + name);
    argv.insert(argv.end(), {"-keyout", *dir_ + "/" + name + ".key", "-out", *dir_ + "/" + name + ".pem"});
    auto r = RunCommand(argv);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = RunCommand({"openssl", "x509", "-in", *dir_ + "/" + name + ".pem", "-outform", "DER", "-out",
                    *dir_ + "/" + name + ".der"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  static std::string Path(const std::string& name) { return *dir_ + "/" + name; }

  static std::string WriteFile(const std::string& name, const std::string& content) {
    std::ofstream(Path(name), std::ios::binary) << content;
    return Path(name);
  }

  // evmctl ima_sign --sigfile: the security.ima value lands in FILE.sig.
  static std::vector<uint8_t> EvmctlSign(const std::string& file, const std::string& key,
                                         const std::string& algo,
                                         const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {"evmctl", "ima_sign", "--sigfile", "-a", algo, "-k", Path(key + ".key")};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(file);
    auto r = RunCommand(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
    return Bytes(ReadFileOrDie(file + ".sig"));
  }

  static bool EvmctlVerifies(const std::string& file, const std::string& cert) {
    return RunCommand({"evmctl", "ima_verify", "--sigfile", "-k", Path(cert + ".der"), file}).exit_code == 0;
  }

  static TrustedKeys Keys(std::initializer_list<const char*> certs) {
    TrustedKeys keys;
    for (const char* c : certs) EXPECT_TRUE(keys.LoadFile(Env::Default(), Path(c)).ok()) << c;
    return keys;
  }

  static ima::Digest Hash(const std::string& file, ima::HashAlgo algo) {
    FileHasher hasher(algo);
    auto d = hasher.HashFile(Env::Default(), file);
    EXPECT_TRUE(d.ok());
    return *d;
  }

  static std::string* dir_;
};
std::string* SignatureTest::dir_ = nullptr;

TEST_F(SignatureTest, AgreesWithEvmctlOnValidSignatures) {
  struct Case {
    const char* key;
    const char* cert;
    const char* algo;
    ima::HashAlgo hash;
  };
  for (const Case& c : {Case{"rsa", "rsa.pem", "sha256", ima::HashAlgo::kSha256},
                        Case{"rsa", "rsa.der", "sha512", ima::HashAlgo::kSha512},
                        Case{"rsa", "rsa.pem", "sha1", ima::HashAlgo::kSha1},
                        Case{"ec", "ec.pem", "sha256", ima::HashAlgo::kSha256},
                        Case{"ec", "ec.der", "sha384", ima::HashAlgo::kSha384}}) {
    SCOPED_TRACE(std::string(c.key) + " " + c.algo);
    std::string file =
        WriteFile(std::string("kubelet-") + c.key + "-" + c.algo, "kubelet binary " + std::string(c.algo));
    std::vector<uint8_t> sig = EvmctlSign(file, c.key, c.algo);
    ASSERT_TRUE(EvmctlVerifies(file, c.key));
    auto parsed = ParseImaSignature(sig);
    ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
    EXPECT_EQ(parsed->hash_algo, c.hash);
    TrustedKeys keys = Keys({"other.pem", c.cert});
    EXPECT_EQ(parsed->key_id, keys.info(1).key_id);
    SignatureCheck check = keys.Verify(sig, Hash(file, c.hash));
    EXPECT_EQ(check.status, SignatureStatus::kValid) << SignatureStatusName(check.status);
    EXPECT_EQ(check.key_index, 1);
  }
}

TEST_F(SignatureTest, AgreesWithEvmctlOnRejections) {
  std::string file = WriteFile("containerd", "containerd binary");
  std::vector<uint8_t> sig = EvmctlSign(file, "rsa", "sha256");
  ima::Digest original = Hash(file, ima::HashAlgo::kSha256);

  // The file changes after signing.
  std::ofstream(file, std::ios::app) << "patched";
  EXPECT_FALSE(EvmctlVerifies(file, "rsa"));
  TrustedKeys rsa = Keys({"rsa.pem"});
  EXPECT_EQ(rsa.Verify(sig, Hash(file, ima::HashAlgo::kSha256)).status, SignatureStatus::kInvalid);
  EXPECT_EQ(rsa.Verify(sig, original).status, SignatureStatus::kValid);

  // Only some other certificate is trusted.
  std::string clean = WriteFile("runc", "runc binary");
  std::vector<uint8_t> runc_sig = EvmctlSign(clean, "rsa", "sha256");
  EXPECT_FALSE(EvmctlVerifies(clean, "other"));
  EXPECT_EQ(Keys({"other.der"}).Verify(runc_sig, Hash(clean, ima::HashAlgo::kSha256)).status,
            SignatureStatus::kUnknownKey);

  // A key that claims the trusted key's id.
  char keyid[9];
  std::snprintf(keyid, sizeof(keyid), "%08x", rsa.info(0).key_id);
  std::string forged_file = WriteFile("forged", "forged binary");
  std::vector<uint8_t> forged = EvmctlSign(forged_file, "other", "sha256", {"--keyid", keyid});
  EXPECT_FALSE(EvmctlVerifies(forged_file, "rsa"));
  EXPECT_EQ(rsa.Verify(forged, Hash(forged_file, ima::HashAlgo::kSha256)).status, SignatureStatus::kInvalid);

  // A digest in another algorithm than the signature's cannot be what was signed.
  EXPECT_EQ(rsa.Verify(runc_sig, Hash(clean, ima::HashAlgo::kSha512)).status, SignatureStatus::kInvalid);
}

// Version 3 signs the hash of struct ima_file_id; evmctl 1.4 cannot make one, so openssl signs
// the structure the way the kernel hashes it, and the header is assembled around it.
TEST_F(SignatureTest, VerifiesVersion3FileIdSignatures) {
  for (const char* key : {"rsa", "ec"}) {
    for (uint8_t type : {kXattrVeritySig, kXattrDigsig}) {
      SCOPED_TRACE(std::string(key) + " type " + std::to_string(type));
      ima::Digest digest = Hash(WriteFile("verity-data", std::string("data ") + key), ima::HashAlgo::kSha256);
      std::vector<uint8_t> file_id = FileIdBytes(type, digest);
      std::string id_path = Path("file_id.bin");
      std::ofstream(id_path, std::ios::binary)
          .write(reinterpret_cast<const char*>(file_id.data()), static_cast<std::streamsize>(file_id.size()));
      auto r = RunCommand({"openssl", "dgst", "-sha256", "-sign", Path(std::string(key) + ".key"), "-out",
                           Path("file_id.sig"), id_path});
      ASSERT_EQ(r.exit_code, 0) << r.err;
      std::string raw = ReadFileOrDie(Path("file_id.sig"));
      TrustedKeys keys = Keys({(std::string(key) + ".pem").c_str()});
      uint32_t id = keys.info(0).key_id;
      std::vector<uint8_t> sig(kSignatureHeaderSize + raw.size());
      sig[0] = type;
      sig[1] = 3;
      sig[2] = 4;  // HASH_ALGO_SHA256
      for (int i = 0; i < 4; ++i) sig[3 + i] = static_cast<uint8_t>(id >> (24 - 8 * i));
      sig[7] = static_cast<uint8_t>(raw.size() >> 8);
      sig[8] = static_cast<uint8_t>(raw.size());
      std::copy(raw.begin(), raw.end(), sig.begin() + kSignatureHeaderSize);
      EXPECT_EQ(keys.Verify(sig, digest).status, SignatureStatus::kValid);
      sig[0] = type == kXattrDigsig ? kXattrVeritySig : kXattrDigsig;  // the type is part of what is signed
      EXPECT_EQ(keys.Verify(sig, digest).status, SignatureStatus::kInvalid);
    }
  }
}

TEST_F(SignatureTest, OnePemFileMayHoldSeveralCertificates) {
  std::string bundle = ReadFileOrDie(Path("rsa.pem")) + ReadFileOrDie(Path("ec.pem"));
  TrustedKeys keys;
  ASSERT_TRUE(keys.AddCertificates(Bytes(bundle), "bundle.pem").ok());
  EXPECT_EQ(keys.size(), 2u);
  EXPECT_NE(keys.info(0).subject.find("imawatch test rsa"), std::string::npos);
  EXPECT_NE(keys.info(1).subject.find("imawatch test ec"), std::string::npos);
}

TEST_F(SignatureTest, AppraiserAllowsSignedFilesNoListKnows) {
  std::string file = WriteFile("signed-tool", "a signed tool");
  std::vector<uint8_t> sig = EvmctlSign(file, "ec", "sha256");
  auto keys = std::make_shared<const TrustedKeys>(Keys({"ec.pem"}));
  auto list = ParseNative("sha256:" + std::string(64, '0') + "  /usr/bin/signed-tool\n", "l");
  ASSERT_TRUE(list.ok());
  Appraiser appraiser({std::make_shared<const AllowList>(std::move(*list))}, keys);
  ima::Digest digest = Hash(file, ima::HashAlgo::kSha256);
  Appraisal a =
      appraiser.Appraise({.path = "/usr/bin/signed-tool", .file_digest = digest, .ima_signature = sig});
  EXPECT_EQ(a.verdict, Verdict::kAllowed);
  EXPECT_EQ(a.allowed_by, AllowedBy::kSignature);
  EXPECT_EQ(a.signature.status, SignatureStatus::kValid);

  std::ofstream(file, std::ios::app) << "!";
  Appraisal tampered = appraiser.Appraise({.path = "/usr/bin/signed-tool",
                                           .file_digest = Hash(file, ima::HashAlgo::kSha256),
                                           .ima_signature = sig});
  EXPECT_EQ(tampered.verdict, Verdict::kChanged);
  EXPECT_EQ(tampered.signature.status, SignatureStatus::kInvalid);
}

}  // namespace
}  // namespace imawatch::appraise
