// The invalid and valid rule corpora: every invalid rule is refused for the right reason at
// the right token, every valid rule is accepted.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "monitor/policy/rule_parser.h"
#include "tests/testing/paths.h"
#include "tests/unit/policy/test_support.h"

namespace imawatch::policy {
namespace {

using testing::TargetFrom;
using testing::Unescape;

std::vector<std::vector<std::string>> ReadTable(const std::string& name) {
  std::istringstream in(imawatch::testing::ReadFileOrDie(imawatch::testing::FixturePath("policy/" + name)));
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields;
    size_t start = 0;
    for (;;) {
      size_t tab = line.find('\t', start);
      fields.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    rows.push_back(std::move(fields));
  }
  return rows;
}

TEST(InvalidCorpus, EveryRuleIsRefusedWithItsReasonAndPosition) {
  auto rows = ReadTable("invalid-rules.tsv");
  ASSERT_GE(rows.size(), 60u);
  std::set<std::string> codes;
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), 5u) << row[0];
    const std::string rule = Unescape(row[4]);
    SCOPED_TRACE(row[0] + " | " + row[4]);
    RuleParseResult result = ParseRule(rule, TargetFrom(row[0]));
    ASSERT_TRUE(result.error.has_value()) << "accepted";
    EXPECT_FALSE(result.rule.has_value());
    EXPECT_EQ(result.error->code, row[1]) << result.error->message;
    EXPECT_EQ(result.error->column, static_cast<uint32_t>(std::stoul(row[2])));
    EXPECT_EQ(result.error->token, Unescape(row[3]));
    EXPECT_FALSE(result.error->message.empty());
    codes.insert(row[1]);
  }
  EXPECT_GE(codes.size(), 50u);
}

TEST(ValidCorpus, EveryRuleIsAccepted) {
  auto rows = ReadTable("valid-rules.tsv");
  ASSERT_GE(rows.size(), 60u);
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), 2u);
    SCOPED_TRACE(row[0] + " | " + row[1]);
    RuleParseResult result = ParseRule(Unescape(row[1]), TargetFrom(row[0]));
    EXPECT_FALSE(result.error.has_value()) << result.error->code << ": " << result.error->message;
    EXPECT_TRUE(result.rule.has_value());
  }
}

}  // namespace
}  // namespace imawatch::policy
