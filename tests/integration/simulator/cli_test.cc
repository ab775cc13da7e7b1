// imawatch simulate and imawatch verify --securityfs/--follow, run as a user runs them, against
// their own swtpm.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/testing/paths.h"
#include "tests/testing/swtpm.h"

extern char** environ;

namespace imawatch {
namespace {

using testing::CommandResult;
using testing::ImawatchBinary;
using testing::RunCommand;

testing::SwTpm& Swtpm() {
  static testing::SwTpm swtpm(testing::SwTpmTransport::kUnixSocket);
  return swtpm;
}

// `imawatch verify --follow` running in the background, its stdout in a file.
class Follower {
 public:
  explicit Follower(std::vector<std::string> args) {
    dir_ = testing::MakeTempDir("follow");
    out_ = dir_ + "/out";
    args.insert(args.begin(), ImawatchBinary());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, (dir_ + "/err").c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Follower() {
    if (pid_ > 0) Stop();
    std::filesystem::remove_all(dir_);
  }
  // The JSON lines printed so far.
  std::vector<nlohmann::json> Lines() const {
    std::vector<nlohmann::json> lines;
    std::istringstream in(testing::ReadFileOrDie(out_));
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
    }
    return lines;
  }
  // Waits (up to 30 s) until some line satisfies pred.
  bool WaitFor(const std::function<bool(const nlohmann::json&)>& pred) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      for (const auto& line : Lines()) {
        if (pred(line)) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  // SIGTERM, then the exit code.
  int Stop() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  std::string Err() const { return testing::ReadFileOrDie(dir_ + "/err"); }

 private:
  std::string dir_, out_;
  pid_t pid_ = -1;
};

class SimulatorCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("simcli");
    CommandResult init = Simulate({"init", "--template", "evm-sig"});
    ASSERT_EQ(init.exit_code, 0) << init.err;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  CommandResult Simulate(std::vector<std::string> args) {
    args.insert(args.begin(), {ImawatchBinary(), "simulate"});
    args.insert(args.begin() + 3, {"--securityfs", dir_, "--tcti", Swtpm().Tcti()});
    return RunCommand(args);
  }
  CommandResult Run(const std::string& scenario, std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"run", "--scenario", scenario};
    args.insert(args.end(), more.begin(), more.end());
    CommandResult r = Simulate(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r;
  }
  CommandResult Verify(std::vector<std::string> more = {}) {
    std::vector<std::string> args = {ImawatchBinary(), "verify",      "--securityfs", dir_,
                                     "--tcti",         Swtpm().Tcti()};
    args.insert(args.end(), more.begin(), more.end());
    return RunCommand(args);
  }
  std::vector<std::string> FollowArgs() {
    return {"verify",   "--securityfs", dir_, "--tcti", Swtpm().Tcti(),
            "--follow", "--interval",   "50", "--json"};
  }

  std::string dir_;
};

TEST_F(SimulatorCliTest, VerifyOneShotProvesTheListAndFailsAfterTampering) {
  CommandResult normal = Run("normal", {"--entries", "60", "--burst", "15"});
  EXPECT_NE(normal.out.find("appended 60 entries"), std::string::npos) << normal.out;
  CommandResult ok = Verify();
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("result: VERIFIED (61 of 61 entries proved)"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("boot_aggregate: match"), std::string::npos) << ok.out;
  CommandResult json = Verify({"--json"});
  EXPECT_EQ(json.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(json.out)["entries"], 61);

  Run("tamper-edit", {"--entry", "30"});
  CommandResult edited = Verify();
  EXPECT_EQ(edited.exit_code, 1) << edited.out;
  EXPECT_NE(edited.out.find("NOT VERIFIED"), std::string::npos) << edited.out;

  Run("reboot", {"--entries", "10"});
  EXPECT_EQ(Verify().exit_code, 0);
  Run("tamper-append");
  CommandResult appended = Verify();
  EXPECT_EQ(appended.exit_code, 1) << appended.out;
  EXPECT_NE(appended.out.find("appended without extending the TPM"), std::string::npos) << appended.out;
}

TEST_F(SimulatorCliTest, FollowPrintsProvedRangesEpochsAndMismatchesUntilSigterm) {
  Follower follow(FollowArgs());
  ASSERT_TRUE(follow.WaitFor([](const auto& j) { return j["event"] == "proved" && j["last"] == 0; }))
      << follow.Err();
  Run("normal", {"--entries", "300", "--burst", "30", "--interval-ms", "20"});
  ASSERT_TRUE(follow.WaitFor([](const auto& j) { return j["event"] == "proved" && j["last"] == 300; }));
  Run("reboot", {"--entries", "8"});
  ASSERT_TRUE(follow.WaitFor([](const auto& j) { return j["event"] == "epoch" && j["epoch"] == 2; }));
  ASSERT_TRUE(follow.WaitFor(
      [](const auto& j) { return j["event"] == "proved" && j["epoch"] == 2 && j["last"] == 8; }));
  Run("tamper-append");
  ASSERT_TRUE(follow.WaitFor([](const auto& j) { return j["event"] == "mismatch"; }));
  EXPECT_EQ(follow.Stop(), 1);

  // Every entry of each epoch proved once, in order; no mismatch before the tampering.
  std::map<int, int64_t> next;
  bool mismatch = false;
  for (const auto& j : follow.Lines()) {
    if (j["event"] == "proved") {
      EXPECT_FALSE(mismatch);
      int epoch = j["epoch"];
      EXPECT_EQ(j["first"].get<int64_t>(), next[epoch]);
      next[epoch] = j["last"].get<int64_t>() + 1;
    }
    if (j["event"] == "mismatch") {
      mismatch = true;
      EXPECT_EQ(j["untrusted_from"], 9);
    }
  }
  EXPECT_EQ(next[1], 301);
  EXPECT_EQ(next[2], 9);
  auto lines = follow.Lines();
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back()["event"], "stop");
  EXPECT_EQ(lines.back()["mismatch_seen"], true);
}

TEST_F(SimulatorCliTest, FollowWithoutMismatchExitsZeroOnSigterm) {
  Follower follow(FollowArgs());
  const auto start = std::chrono::steady_clock::now();
  Run("normal", {"--entries", "40", "--rate", "400"});
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(95));
  ASSERT_TRUE(follow.WaitFor([](const auto& j) { return j["event"] == "proved" && j["last"] == 40; }));
  EXPECT_EQ(follow.Stop(), 0);
}

TEST_F(SimulatorCliTest, UsageAndInputErrorsExitTwo) {
  EXPECT_EQ(RunCommand({ImawatchBinary(), "verify", "--securityfs", dir_}).exit_code, 2);
  EXPECT_EQ(RunCommand({ImawatchBinary(), "verify", "--follow", "--log",
                        dir_ + "/ima/binary_runtime_measurements", "--pcrs", dir_})
                .exit_code,
            2);
  EXPECT_EQ(Simulate({"run", "--scenario", "meltdown"}).exit_code, 2);
  std::string empty = testing::MakeTempDir("simcli-empty");
  EXPECT_EQ(RunCommand({ImawatchBinary(), "simulate", "run", "--securityfs", empty, "--tcti", Swtpm().Tcti(),
                        "--scenario", "normal"})
                .exit_code,
            2);
  std::filesystem::remove_all(empty);
  EXPECT_EQ(
      RunCommand({ImawatchBinary(), "verify", "--securityfs", dir_, "--tcti", "swtpm:path=/nonexistent"})
          .exit_code,
      2);
}

}  // namespace
}  // namespace imawatch
