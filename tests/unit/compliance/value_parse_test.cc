#include "monitor/compliance/value_parse.h"

#include <gtest/gtest.h>

#include "monitor/compliance/expectation_eval.h"

namespace imawatch::compliance {
namespace {

TEST(ValueParse, GoAndSshdDurations) {
  EXPECT_EQ(ParseDurationSeconds("4h0m0s"), 14400);
  EXPECT_EQ(ParseDurationSeconds("5m"), 300);
  EXPECT_EQ(ParseDurationSeconds("0s"), 0);
  EXPECT_EQ(ParseDurationSeconds("0"), 0);
  EXPECT_EQ(ParseDurationSeconds("90"), 90);
  EXPECT_EQ(ParseDurationSeconds("1h30M"), 5400);
  EXPECT_EQ(ParseDurationSeconds("1.5h"), 5400);
  EXPECT_EQ(ParseDurationSeconds("300ms"), 0.3);
  EXPECT_EQ(ParseDurationSeconds("2w"), 1209600);
  EXPECT_FALSE(ParseDurationSeconds("5 minutes"));
  EXPECT_FALSE(ParseDurationSeconds("m5"));
  EXPECT_FALSE(ParseDurationSeconds("1h30"));
  EXPECT_FALSE(ParseDurationSeconds(""));
}

TEST(ValueParse, BoolsIntsLists) {
  EXPECT_EQ(ParseBoolWord("Yes"), true);
  EXPECT_EQ(ParseBoolWord("off"), false);
  EXPECT_FALSE(ParseBoolWord("maybe"));
  EXPECT_EQ(ParseInteger("-1"), -1);
  EXPECT_FALSE(ParseInteger("12abc"));
  EXPECT_EQ(SplitList("a, b,c  d"), (std::vector<std::string>{"a", "b", "c", "d"}));
}

Check Setting(ValueType type, Expectation e) {
  Check c;
  c.kind = CheckKind::kConfigValue;
  c.type = type;
  c.expect = std::move(e);
  return c;
}

TEST(JudgeSetting, TypedComparisons) {
  EXPECT_TRUE(
      JudgeSetting(Setting(ValueType::kBool, {.equals = "false"}), SettingValue::Scalar("no", "x"), {}, false)
          .ok);
  EXPECT_TRUE(
      JudgeSetting(Setting(ValueType::kDuration, {.min = 1}), SettingValue::Scalar("5m0s", "x"), {}, false)
          .ok);
  Judgement zero =
      JudgeSetting(Setting(ValueType::kDuration, {.min = 1}), SettingValue::Scalar("0s", "x"), {}, false);
  EXPECT_FALSE(zero.ok);
  EXPECT_EQ(zero.detail, "0s is below the minimum");
  EXPECT_FALSE(
      JudgeSetting(Setting(ValueType::kInt, {.max = 4}), SettingValue::Scalar("six", "x"), {}, false).ok);
  Check ciphers = Setting(ValueType::kList, {.subset_of = std::vector<std::string>{"A", "B"}});
  EXPECT_TRUE(JudgeSetting(ciphers, SettingValue::Scalar("A,B", "x"), {}, false).ok);
  EXPECT_FALSE(JudgeSetting(ciphers, SettingValue::Scalar("A,C", "x"), {}, false).ok);
  EXPECT_TRUE(
      JudgeSetting(Setting(ValueType::kString, {.equals = "no"}), SettingValue::Scalar("No", "x"), {}, true)
          .ok);
  EXPECT_FALSE(
      JudgeSetting(Setting(ValueType::kString, {.equals = "no"}), SettingValue::Scalar("No", "x"), {}, false)
          .ok);
}

TEST(JudgeSetting, UnsetValues) {
  Check c = Setting(ValueType::kInt, {.equals = "0"});
  EXPECT_FALSE(JudgeSetting(c, SettingValue::Unset(), {}, false).ok);
  Judgement d = JudgeSetting(c, SettingValue::Unset(), std::string("0"), false);
  EXPECT_TRUE(d.ok);
  EXPECT_EQ(d.found, "not set; default 0");
  c.unset_passes = true;
  EXPECT_TRUE(JudgeSetting(c, SettingValue::Unset(), {}, false).ok);
  Check absent = Setting(ValueType::kString, {.set = false});
  EXPECT_TRUE(JudgeSetting(absent, SettingValue::Unset(), {}, false).ok);
  EXPECT_FALSE(JudgeSetting(absent, SettingValue::Scalar("node-a", "x"), {}, false).ok);
}

TEST(JudgeSetting, SensitiveValuesAreNeverShown) {
  Check c = Setting(ValueType::kString, {.set = false});
  c.sensitive = true;
  Judgement j = JudgeSetting(c, SettingValue::Scalar("root:$6$secret", "/etc/shadow:1"), {}, false);
  EXPECT_FALSE(j.ok);
  EXPECT_EQ(j.found.find("secret"), std::string::npos);
  EXPECT_EQ(j.detail.find("secret"), std::string::npos);
}

}  // namespace
}  // namespace imawatch::compliance
