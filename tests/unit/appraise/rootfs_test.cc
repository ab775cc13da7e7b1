#include "monitor/appraise/rootfs.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/testing/paths.h"

namespace imawatch::appraise {
namespace {

namespace fs = std::filesystem;

class RootfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root = imawatch::testing::MakeTempDir("rootfs");
    fs::create_directories(root + "/usr/bin");
    fs::create_directories(root + "/usr/lib/x86_64-linux-gnu");
    fs::create_directories(root + "/etc");
    std::ofstream(root + "/usr/bin/ls") << "ls";
    std::ofstream(root + "/etc/os-release") << "ID=test";
    fs::create_directory_symlink("usr/bin", root + "/bin");              // relative, merged /usr
    fs::create_directory_symlink("/usr/lib", root + "/lib");             // absolute: inside the root
    fs::create_directory_symlink("../../../../../../..", root + "/up");  // climbs past the root
    fs::create_directory_symlink("/usr/bin", root + "/usr/hostbin");     // absolute again
    fs::create_symlink("loop2", root + "/loop1");
    fs::create_symlink("loop1", root + "/loop2");
  }
  void TearDown() override { fs::remove_all(root); }
  std::string root;
};

std::string Resolved(const std::string& root, std::string_view path) {
  auto r = ResolveInRoot(Env::Default(), root, path);
  return r.ok() ? *r : "error: " + r.error().ToString();
}

TEST_F(RootfsTest, ResolvesSymlinksInsideTheRoot) {
  EXPECT_EQ(Resolved(root, "/bin"), "/usr/bin");
  EXPECT_EQ(Resolved(root, "/bin/ls"), "/usr/bin/ls");
  EXPECT_EQ(Resolved(root, "/lib/x86_64-linux-gnu"), "/usr/lib/x86_64-linux-gnu");
  EXPECT_EQ(Resolved(root + "/", "lib/../../etc/./os-release"),
            "/etc/os-release");  // .. after a symlink: its target's parent
  EXPECT_EQ(Resolved(root, "/up"), "/");
  EXPECT_EQ(Resolved(root, "/up/etc"), "/etc");
  EXPECT_EQ(Resolved(root, "/usr/hostbin"), "/usr/bin");
  EXPECT_EQ(Resolved(root, "/"), "/");
}

TEST_F(RootfsTest, ResolutionErrors) {
  Env& env = Env::Default();
  auto loop = ResolveInRoot(env, root, "/loop1");
  ASSERT_FALSE(loop.ok());
  EXPECT_NE(loop.error().message().find("too many levels"), std::string::npos);
  auto missing = ResolveInRoot(env, root, "/nope/x");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind(), ErrorKind::kNotFound);
  EXPECT_FALSE(ResolveInRoot(env, root, "/etc/os-release/x").ok());
}

TEST_F(RootfsTest, WalkSeesRealDirectoriesOnly) {
  auto walk = WalkRoot(Env::Default(), root, {});
  ASSERT_TRUE(walk.ok()) << walk.error().ToString();
  std::vector<std::string> paths;
  for (const auto& f : walk->files) paths.push_back(f.path);
  std::sort(paths.begin(), paths.end());
  EXPECT_EQ(paths, (std::vector<std::string>{"/etc/os-release", "/usr/bin/ls"}));
  EXPECT_EQ(walk->symlinks, 6u);
  EXPECT_TRUE(walk->errors.empty());

  auto only_bin = WalkRoot(Env::Default(), root, {.subtrees = {"/bin", "/usr/bin", "/usr/bin/../bin"}});
  ASSERT_TRUE(only_bin.ok());
  ASSERT_EQ(only_bin->files.size(), 1u);
  EXPECT_EQ(only_bin->files[0].path, "/usr/bin/ls");
  EXPECT_EQ(only_bin->files[0].size, 2u);

  ExcludeSet excludes;
  excludes.Add(*PathPattern::Compile(PatternKind::kGlob, "/usr"));
  auto no_usr = WalkRoot(Env::Default(), root, {.excludes = &excludes});
  ASSERT_TRUE(no_usr.ok());
  ASSERT_EQ(no_usr->files.size(), 1u);
  EXPECT_EQ(no_usr->excluded, 1u);
}

}  // namespace
}  // namespace imawatch::appraise
