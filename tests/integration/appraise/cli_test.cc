// The imawatch binary: baseline, allowlist convert and lookup, as an operator runs them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "monitor/appraise/digest_text.h"
#include "monitor/appraise/keylime_policy.h"
#include "tests/testing/paths.h"

namespace imawatch::appraise {
namespace {

namespace fs = std::filesystem;
using imawatch::testing::CommandResult;
using imawatch::testing::FixturePath;
using imawatch::testing::ReadFileOrDie;
using imawatch::testing::RunCommand;
using Json = nlohmann::json;

CommandResult Imawatch(std::vector<std::string> args) {
  args.insert(args.begin(), imawatch::testing::ImawatchBinary());
  return RunCommand(args);
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = imawatch::testing::MakeTempDir("allowlist-cli");
    root = dir + "/root";
    fs::create_directories(root + "/usr/bin");
    fs::create_directories(root + "/usr/lib");
    fs::create_directories(root + "/etc/kubernetes");
    fs::create_directories(root + "/var/log");
    std::ofstream(root + "/usr/bin/kubelet") << "kubelet";
    std::ofstream(root + "/usr/lib/libssl.so.3") << "libssl";
    std::ofstream(root + "/etc/kubernetes/kubelet.conf") << "conf";
    std::ofstream(root + "/var/log/messages") << "log";
    fs::create_directory_symlink("usr/lib", root + "/lib");
  }
  void TearDown() override { fs::remove_all(dir); }

  std::string Sha256(const std::string& path) {
    auto r = RunCommand({"sha256sum", path});
    return r.out.substr(0, 64);
  }

  std::string dir, root;
};

TEST_F(CliTest, BaselineThenLookup) {
  std::string out = dir + "/golden.txt";
  auto r = Imawatch({"baseline", "--root", root, "--exclude", "/var/log/**", "--tag",
                     "/etc/kubernetes/**=cis-k8s:4.1.1", "--out", out, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json report = Json::parse(r.out);
  EXPECT_EQ(report["files"], 3);
  EXPECT_EQ(report["excluded"], 1);
  EXPECT_EQ(report["symlinks_skipped"], 1);
  EXPECT_EQ(report["format"], "native");
  EXPECT_EQ(report["threads"].get<int>(), report["files_per_thread"].size());
  EXPECT_NE(ReadFileOrDie(out).find("@exclude glob /var/log/**"), std::string::npos);

  r = Imawatch({"allowlist", "lookup", out, "/usr/lib/libssl.so.3"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "sha256:" + Sha256(root + "/usr/lib/libssl.so.3") + "  /usr/lib/libssl.so.3\n");
  r = Imawatch({"allowlist", "lookup", out, "/lib/libssl.so.3"});  // IMA never logs this name
  EXPECT_EQ(r.exit_code, 1);
  r = Imawatch({"allowlist", "lookup", out, Sha256(root + "/etc/kubernetes/kubelet.conf"), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json answer = Json::parse(r.out);
  EXPECT_EQ(answer["type"], "digest");
  EXPECT_EQ(answer["names"][0]["name"], "/etc/kubernetes/kubelet.conf");
  EXPECT_EQ(answer["names"][0]["tags"][0], "cis-k8s:4.1.1");
  r = Imawatch({"allowlist", "lookup", out, "/var/log/messages", "--json"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(Json::parse(r.out)["excluded_by"]["pattern"], "/var/log/**");
  r = Imawatch({"allowlist", "lookup", out, std::string(64, 'f')});
  EXPECT_EQ(r.exit_code, 1);
}

TEST_F(CliTest, BaselineWritesEveryForm) {
  for (const char* name : {"a.json", "a.bin", "a.list"}) {
    auto r = Imawatch({"baseline", "--root", root, "--path", "/lib", "--out", dir + "/" + name});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = Imawatch({"allowlist", "lookup", dir + "/" + name, "/usr/lib/libssl.so.3"});
    EXPECT_EQ(r.exit_code, 0) << name << r.err;
    r = Imawatch({"allowlist", "lookup", dir + "/" + name, "/usr/bin/kubelet"});
    EXPECT_EQ(r.exit_code, 1) << name;
  }
  EXPECT_EQ(ReadFileOrDie(dir + "/a.bin").substr(0, 8), "IMAWALST");
  EXPECT_TRUE(Json::parse(ReadFileOrDie(dir + "/a.json")).contains("digests"));
}

TEST_F(CliTest, ConvertRoundTripsKeylimePolicies) {
  std::string policy = FixturePath("appraise/keylime-runtime-policy-test.json");
  ASSERT_EQ(Imawatch({"allowlist", "convert", policy, "--from", "keylime", "--to", "keylime", "--out",
                      dir + "/direct.json"})
                .exit_code,
            0);
  auto r = Imawatch({"allowlist", "convert", policy, "--to", "native", "--out", dir + "/p.txt", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out)["names"], 22);
  r = Imawatch({"allowlist", "convert", dir + "/p.txt", "--from", "native", "--to", "binary", "--out",
                dir + "/p.bin"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Imawatch({"allowlist", "convert", dir + "/p.bin", "--to", "keylime", "--out", dir + "/back.json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFileOrDie(dir + "/back.json"), ReadFileOrDie(dir + "/direct.json"));
  r = Imawatch({"allowlist", "lookup", dir + "/p.bin", "--kind", "keyring", ".ima"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = Imawatch({"allowlist", "lookup", dir + "/p.bin", "sha1:4860656c6855b6db0c7a2ccc6227a395928986a7"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("/boot/grub2/i386-pc/terminfo.mod"), std::string::npos);
}

TEST_F(CliTest, ConvertsRealSha256sumOutput) {
  // sha256sum run inside the root, the way an image build would: relative names.
  std::string sums = dir + "/SHA256SUMS";
  auto r = RunCommand(
      {"sh", "-c", "cd '" + root + "' && sha256sum ./usr/bin/kubelet usr/lib/libssl.so.3 > '" + sums + "'"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Imawatch(
      {"allowlist", "convert", sums, "--from", "sha256sum", "--to", "keylime", "--out", dir + "/k.json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json k = Json::parse(ReadFileOrDie(dir + "/k.json"));
  EXPECT_EQ(k["digests"]["/usr/bin/kubelet"][0], Sha256(root + "/usr/bin/kubelet"));
  EXPECT_EQ(k["digests"]["/usr/lib/libssl.so.3"][0], Sha256(root + "/usr/lib/libssl.so.3"));
  EXPECT_EQ(k["meta"]["version"], 1);
}

TEST_F(CliTest, BadInputsExitTwoWithAPosition) {
  std::ofstream(dir + "/bad.txt") << "# ok\nsha256:" << std::string(64, 'a') << "  /ok\nsha256:zz  /bad\n";
  auto r = Imawatch({"allowlist", "convert", dir + "/bad.txt", "--to", "binary", "--out", dir + "/x.bin"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(dir + "/bad.txt:3:1:"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir + "/x.bin"));

  std::ofstream(dir + "/bad.json") << R"({"digests": {"/a": [42]}})";
  r = Imawatch({"allowlist", "lookup", dir + "/bad.json", "/a"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("$.digests[\"/a\"][0]"), std::string::npos) << r.err;

  r = Imawatch({"allowlist", "convert", dir + "/bad.json", "--to", "sha256sum", "--out", dir + "/y"});
  EXPECT_EQ(r.exit_code, 2);
  r = Imawatch({"baseline", "--root", dir + "/nope", "--out", dir + "/z"});
  EXPECT_EQ(r.exit_code, 2);
  r = Imawatch({"baseline", "--root", root, "--algo", "crc32", "--out", dir + "/z"});
  EXPECT_EQ(r.exit_code, 2);
  r = Imawatch({"baseline", "--out", dir + "/z"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(CliTest, HelpEverywhere) {
  for (auto args : std::vector<std::vector<std::string>>{{"baseline", "--help"},
                                                         {"allowlist", "--help"},
                                                         {"allowlist", "convert", "--help"},
                                                         {"allowlist", "lookup", "--help"}}) {
    auto r = Imawatch(args);
    EXPECT_EQ(r.exit_code, 0) << args[0];
    EXPECT_NE(r.out.find("Usage"), std::string::npos);
  }
}

}  // namespace
}  // namespace imawatch::appraise
