#include "monitor/daemon/logger.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

namespace imawatch::daemon {
namespace {

using nlohmann::json;

// Collects what a Logger writes.
class Capture {
 public:
  Capture() : file_(open_memstream(&buffer_, &size_)) {}
  ~Capture() {
    std::fclose(file_);
    std::free(buffer_);
  }
  FILE* file() { return file_; }
  std::vector<std::string> Lines() {
    std::fflush(file_);
    std::vector<std::string> lines;
    std::istringstream in(std::string(buffer_, size_));
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
  std::string Text() {
    std::fflush(file_);
    return std::string(buffer_, size_);
  }

 private:
  char* buffer_ = nullptr;
  size_t size_ = 0;
  FILE* file_;
};

const std::regex kTimestamp(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");

TEST(Logger, JsonLinesParse) {
  Capture out;
  Logger log(LogFormat::kJson, LogLevel::kInfo, out.file());
  log.Info("entries_proved", {{"entries", uint64_t{1234}},
                              {"delta", -3},
                              {"ratio", 0.25},
                              {"verified", true},
                              {"bank", "sha256"},
                              {"path", std::string("/usr/bin/a b\"c\\d\ne\x01")}});
  log.Error("quote_failed");
  auto lines = out.Lines();
  ASSERT_EQ(lines.size(), 2u);
  json j = json::parse(lines[0]);
  EXPECT_TRUE(std::regex_match(j["ts"].get<std::string>(), kTimestamp)) << j["ts"];
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["msg"], "entries_proved");
  EXPECT_EQ(j["entries"], 1234u);
  EXPECT_EQ(j["delta"], -3);
  EXPECT_EQ(j["ratio"], 0.25);
  EXPECT_EQ(j["verified"], true);
  EXPECT_EQ(j["bank"], "sha256");
  EXPECT_EQ(j["path"], "/usr/bin/a b\"c\\d\ne\x01");
  // ts, level, msg come first, then the fields in the order given.
  EXPECT_TRUE(lines[0].starts_with("{\"ts\":\"")) << lines[0];
  EXPECT_LT(lines[0].find("\"level\""), lines[0].find("\"msg\""));
  EXPECT_LT(lines[0].find("\"entries\""), lines[0].find("\"delta\""));
  EXPECT_EQ(json::parse(lines[1])["level"], "error");
}

TEST(Logger, JsonEscapesNonUtf8AndNonFinite) {
  Capture out;
  Logger log(LogFormat::kJson, LogLevel::kDebug, out.file());
  log.Warn("bad\xff", {{"path", "/tmp/\xc3\x28x"}, {"nan", std::nan("")}, {"k\xfe", 1}});
  auto lines = out.Lines();
  ASSERT_EQ(lines.size(), 1u);
  json j = json::parse(lines[0]);
  EXPECT_EQ(j["msg"], "bad\\xff");
  EXPECT_EQ(j["path"], "/tmp/\\xc3(x");
  EXPECT_TRUE(j["nan"].is_null());
  EXPECT_EQ(j["k\\xfe"], 1);
}

TEST(Logger, LogfmtQuotesOnlyWhatNeedsIt) {
  Capture out;
  Logger log(LogFormat::kLogfmt, LogLevel::kInfo, out.file());
  log.Info("reload", {{"plain", "sha256"},
                      {"space", "a b"},
                      {"eq", "a=b"},
                      {"quote", "say \"hi\""},
                      {"newline", "a\nb"},
                      {"tab", "a\tb"},
                      {"ctl", "a\x01"},
                      {"empty", ""},
                      {"backslash", "C:\\x"},
                      {"utf8", "grüße"},
                      {"bytes", "\xff"},
                      {"n", 42},
                      {"u", uint64_t{18446744073709551615u}},
                      {"d", 1.5},
                      {"inf", -std::numeric_limits<double>::infinity()},
                      {"b", false},
                      {"bad key=", 1}});
  std::string text = out.Text();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(text, m, std::regex("^ts=(\\S+) level=info msg=reload ")));
  EXPECT_TRUE(std::regex_match(m[1].str(), kTimestamp));
  std::string fields = text.substr(m.length());
  EXPECT_EQ(fields,
            "plain=sha256 space=\"a b\" eq=\"a=b\" quote=\"say \\\"hi\\\"\" newline=\"a\\nb\" tab=\"a\\tb\" "
            "ctl=\"a\\u0001\" empty=\"\" backslash=C:\\x utf8=grüße bytes=\"\\\\xff\" n=42 "
            "u=18446744073709551615 d=1.5 inf=-Inf b=false bad_key_=1\n");
}

TEST(Logger, LogfmtMessageIsQuotedWhenNeeded) {
  Capture out;
  Logger log(LogFormat::kLogfmt, LogLevel::kInfo, out.file());
  log.Info("list not verified");
  EXPECT_NE(out.Text().find(" msg=\"list not verified\"\n"), std::string::npos) << out.Text();
}

TEST(Logger, LevelsFilter) {
  Capture out;
  Logger log(LogFormat::kJson, LogLevel::kWarn, out.file());
  log.Debug("d");
  log.Info("i");
  log.Warn("w");
  log.Error("e");
  log.set_level(LogLevel::kDebug);
  log.Debug("d2");
  log.set_level(LogLevel::kError);
  log.Warn("w2");
  log.Log(LogLevel::kError, "e2");
  std::vector<std::string> msgs;
  for (const auto& line : out.Lines()) msgs.push_back(json::parse(line)["msg"]);
  EXPECT_EQ(msgs, (std::vector<std::string>{"w", "e", "d2", "e2"}));
}

TEST(Logger, FormatSwitches) {
  Capture out;
  Logger log(LogFormat::kJson, LogLevel::kInfo, out.file());
  log.Info("a");
  log.set_format(LogFormat::kLogfmt);
  log.Info("b");
  auto lines = out.Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(json::parse(lines[0])["msg"], "a");
  EXPECT_TRUE(lines[1].starts_with("ts=")) << lines[1];
}

TEST(Logger, LinesFromManyThreadsStayWhole) {
  Capture out;
  Logger log(LogFormat::kJson, LogLevel::kInfo, out.file());
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&log, t] {
      std::string payload(200, static_cast<char>('a' + t));
      for (int i = 0; i < 200; ++i) log.Info("tick", {{"thread", t}, {"i", i}, {"payload", payload}});
    });
  }
  for (auto& th : threads) th.join();
  auto lines = out.Lines();
  ASSERT_EQ(lines.size(), 1600u);
  for (const auto& line : lines) {
    json j = json::parse(line);
    EXPECT_EQ(j["payload"], std::string(200, static_cast<char>('a' + j["thread"].get<int>())));
  }
}

TEST(Logger, NamesRoundTrip) {
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    EXPECT_EQ(LogLevelFromName(LogLevelName(l)), l);
  }
  for (LogFormat f : {LogFormat::kJson, LogFormat::kLogfmt})
    EXPECT_EQ(LogFormatFromName(LogFormatName(f)), f);
  EXPECT_FALSE(LogLevelFromName("warning"));
  EXPECT_FALSE(LogFormatFromName("text"));
}

}  // namespace
}  // namespace imawatch::daemon
