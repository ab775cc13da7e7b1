// Baselines of a real directory tree laid out like a merged-/usr distribution, checked
// against sha256sum/sha512sum of the same files.
#include "monitor/appraise/baseline.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "monitor/appraise/digest_text.h"
#include "tests/testing/paths.h"

namespace imawatch::appraise {
namespace {

namespace fs = std::filesystem;
using imawatch::testing::RunCommand;

class BaselineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new std::string(imawatch::testing::MakeTempDir("golden-root"));
    outside_ = new std::string(imawatch::testing::MakeTempDir("outside-root"));
    const std::string& r = *root_;
    for (const char* d : {"/usr/bin", "/usr/sbin", "/usr/lib/x86_64-linux-gnu", "/usr/share/data",
                          "/etc/kubernetes", "/var/log/journal", "/var/lib/kubelet"}) {
      fs::create_directories(r + d);
    }
    Write("/usr/bin/kubelet", "kubelet v1.30");
    Write("/usr/bin/bash", "bash 5.2");
    Write("/usr/sbin/iptables", "iptables");
    Write("/usr/lib/x86_64-linux-gnu/libc.so.6", "libc");
    Write("/etc/kubernetes/kubelet.conf", "apiVersion: v1");
    Write("/var/lib/kubelet/config.yaml", "kind: KubeletConfiguration");
    Write("/var/log/syslog", "log");
    Write("/var/log/journal/system.journal", "journal");
    Write("/usr/bin/empty", "");
    Write("/usr/bin/with space", "odd name");
    // Enough data that both hashing threads get work.
    std::mt19937 rng(1);
    std::string block(1 << 20, '\0');
    for (int i = 0; i < 48; ++i) {
      for (auto& c : block) c = static_cast<char>(rng());
      Write("/usr/share/data/blob" + std::to_string(i), block);
    }
    fs::create_hard_link(r + "/usr/bin/bash", r + "/usr/bin/sh");
    // merged /usr: the top-level directories are symlinks
    fs::create_directory_symlink("usr/bin", r + "/bin");
    fs::create_directory_symlink("usr/sbin", r + "/sbin");
    fs::create_directory_symlink("usr/lib", r + "/lib");
    fs::create_directory_symlink("/usr/lib", r + "/lib64");  // absolute: resolved inside the root
    fs::create_symlink("../usr/bin/kubelet", r + "/etc/kubelet-link");
    // symlinks that lead out of the root are never followed
    Write(*outside_ + "/secret", "outside", true);
    fs::create_directory_symlink(*outside_, r + "/etc/escape");
    fs::create_directory_symlink("../../../../../../../../" + *outside_, r + "/etc/escape-relative");
    ASSERT_EQ(mkfifo((r + "/var/lib/kubelet/fifo").c_str(), 0600), 0);
  }
  static void TearDownTestSuite() {
    fs::remove_all(*root_);
    fs::remove_all(*outside_);
    delete root_;
    delete outside_;
  }

  static void Write(const std::string& path, const std::string& content, bool absolute = false) {
    std::ofstream(absolute ? path : *root_ + path, std::ios::binary) << content;
  }

  // What sha256sum (or another tool) says about every regular file, keyed by canonical path.
  static std::map<std::string, std::string> Oracle(const std::string& tool,
                                                   const std::vector<std::string>& paths) {
    std::vector<std::string> argv = {tool};
    for (const auto& p : paths) argv.push_back(*root_ + p);
    auto r = RunCommand(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::map<std::string, std::string> out;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      size_t sep = line.find("  ");
      out[line.substr(sep + 2 + root_->size())] = line.substr(0, sep);
    }
    return out;
  }

  static std::map<std::string, std::string> Recorded(const AllowList& list) {
    std::map<std::string, std::string> out;
    list.ForEachEntry(
        [&](AllowList::NameId id, const ima::Digest& d) { out[std::string(list.Name(id))] = d.hex(); });
    return out;
  }

  static std::string* root_;
  static std::string* outside_;
};
std::string* BaselineTest::root_ = nullptr;
std::string* BaselineTest::outside_ = nullptr;

TEST_F(BaselineTest, RecordsCanonicalPathsOfRegularFilesWithTheirDigests) {
  auto baseline =
      BuildBaseline(Env::Default(), {.root = *root_, .exclude_globs = {"/var/log/**"}, .threads = 2});
  ASSERT_TRUE(baseline.ok()) << baseline.error().ToString();
  std::vector<std::string> expected = {"/etc/kubernetes/kubelet.conf",
                                       "/usr/bin/bash",
                                       "/usr/bin/empty",
                                       "/usr/bin/kubelet",
                                       "/usr/bin/sh",
                                       "/usr/bin/with space",
                                       "/usr/lib/x86_64-linux-gnu/libc.so.6",
                                       "/usr/sbin/iptables",
                                       "/var/lib/kubelet/config.yaml"};
  for (int i = 0; i < 48; ++i) expected.push_back("/usr/share/data/blob" + std::to_string(i));
  std::map<std::string, std::string> recorded = Recorded(baseline->list);
  std::map<std::string, std::string> oracle = Oracle("sha256sum", expected);
  EXPECT_EQ(recorded, oracle);
  EXPECT_EQ(recorded.size(), expected.size());  // nothing via /bin, /lib, /lib64, /etc/escape*

  const BaselineReport& r = baseline->report;
  EXPECT_EQ(r.files, expected.size());
  EXPECT_EQ(r.symlinks, 7u);
  EXPECT_EQ(r.special, 1u);
  EXPECT_EQ(r.excluded, 2u);  // /var/log/syslog and /var/log/journal (not entered)
  EXPECT_TRUE(r.errors.empty());
  EXPECT_TRUE(baseline->list.IsExcluded("/var/log/anything"));
}

TEST_F(BaselineTest, RunsOnBothCores) {
  auto baseline = BuildBaseline(Env::Default(), {.root = *root_, .threads = 2});
  ASSERT_TRUE(baseline.ok());
  const BaselineReport& r = baseline->report;
  ASSERT_EQ(r.threads, 2u);
  ASSERT_EQ(r.files_per_thread.size(), 2u);
  EXPECT_GT(r.files_per_thread[0], 0u);
  EXPECT_GT(r.files_per_thread[1], 0u);
  EXPECT_EQ(r.files_per_thread[0] + r.files_per_thread[1], r.files);
  EXPECT_GT(r.bytes, 48u << 20);
}

TEST_F(BaselineTest, SubtreesResolveThroughSymlinksInsideTheRoot) {
  auto baseline = BuildBaseline(Env::Default(), {.root = *root_, .subtrees = {"/lib64", "/sbin"}});
  ASSERT_TRUE(baseline.ok()) << baseline.error().ToString();
  std::map<std::string, std::string> recorded = Recorded(baseline->list);
  std::vector<std::string> names;
  for (const auto& [name, digest] : recorded) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/sbin/iptables"}));

  auto escape = BuildBaseline(Env::Default(), {.root = *root_, .subtrees = {"/etc/escape"}});
  EXPECT_FALSE(escape.ok());  // inside the root, /etc/escape points at a directory that is not there
}

TEST_F(BaselineTest, OtherAlgorithmsTagsAndProgress) {
  std::vector<BaselineProgress> seen;
  auto baseline =
      BuildBaseline(Env::Default(), {.root = *root_,
                                     .subtrees = {"/etc", "/usr/bin"},
                                     .tag_rules = {{"/etc/kubernetes/**", "cis-k8s:4.1.1"},
                                                   {"/etc/**", "etc"},
                                                   {"/usr/bin/kubelet", "cis-k8s:4.2"}},
                                     .algo = ima::HashAlgo::kSha512,
                                     .progress = [&](const BaselineProgress& p) { seen.push_back(p); }});
  ASSERT_TRUE(baseline.ok()) << baseline.error().ToString();
  const AllowList& list = baseline->list;
  std::map<std::string, std::string> oracle =
      Oracle("sha512sum", {"/etc/kubernetes/kubelet.conf", "/usr/bin/kubelet", "/usr/bin/bash", "/usr/bin/sh",
                           "/usr/bin/empty", "/usr/bin/with space"});
  EXPECT_EQ(Recorded(list), oracle);
  auto conf = list.FindName(NameKind::kFile, "/etc/kubernetes/kubelet.conf");
  ASSERT_TRUE(conf);
  auto tags = list.Tags(*conf).ToVector();
  std::sort(tags.begin(), tags.end());
  EXPECT_EQ(tags, (std::vector<std::string_view>{"cis-k8s:4.1.1", "etc"}));
  EXPECT_EQ(list.Tags(*list.FindName(NameKind::kFile, "/usr/bin/kubelet")).ToVector(),
            (std::vector<std::string_view>{"cis-k8s:4.2"}));
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().files_done, seen.back().files_total);
  EXPECT_EQ(seen.back().files_total, 6u);
}

}  // namespace
}  // namespace imawatch::appraise
