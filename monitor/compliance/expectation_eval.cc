#include "monitor/compliance/expectation_eval.h"

#include <algorithm>
#include <cmath>

#include "monitor/compliance/safe_regex.h"
#include "monitor/compliance/value_parse.h"

namespace imawatch::compliance {
namespace {

class Comparer {
 public:
  Comparer(ValueType type, bool ci) : type_(type), ci_(ci) {}

  bool Equal(const std::string& a, const std::string& b) const {
    if (type_ == ValueType::kBool) {
      auto x = ParseBoolWord(a), y = ParseBoolWord(b);
      if (x && y) return *x == *y;
    }
    if (type_ == ValueType::kInt || type_ == ValueType::kDuration) {
      auto x = NumericValue(type_, a), y = NumericValue(type_, b);
      if (x && y) return std::fabs(*x - *y) < 1e-9;
    }
    return ci_ ? Lower(a) == Lower(b) : a == b;
  }
  bool In(const std::string& a, const std::vector<std::string>& set) const {
    return std::any_of(set.begin(), set.end(), [&](const std::string& b) { return Equal(a, b); });
  }

 private:
  ValueType type_;
  bool ci_;
};

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

}  // namespace

Judgement JudgeSetting(const Check& check, const SettingValue& found,
                       const std::optional<std::string>& default_value, bool case_insensitive) {
  const Expectation& e = check.expect;
  auto shown = [&](const std::string& text) { return check.sensitive ? std::string("(redacted)") : text; };
  SettingValue value = found;
  Judgement j;
  if (!found.present) {
    if (e.set == false) return {true, "not set", ""};
    if (e.set == true && !default_value) return {false, "not set", "not set"};
    if (default_value) {
      value = SettingValue::Scalar(*default_value, "default");
      j.found = "not set; default " + *default_value;
    } else if (check.unset_passes) {
      return {*check.unset_passes, "not set",
              *check.unset_passes ? "" : "not set (the benchmark requires an explicit setting)"};
    } else {
      return {false, "not set", "not set"};
    }
  } else {
    j.found = shown(found.text) + (found.origin.empty() ? "" : " (" + found.origin + ")");
    if (e.set == false) {
      j.detail = "is set to " + shown(found.text);
      return j;
    }
  }

  Comparer cmp(check.type, case_insensitive);
  std::vector<std::string> items = value.is_list                    ? value.items
                                   : check.type == ValueType::kList ? SplitList(value.text)
                                                                    : std::vector<std::string>{value.text};
  bool list = check.type == ValueType::kList;
  std::vector<std::string> problems;
  auto fail = [&](std::string why) { problems.push_back(std::move(why)); };

  if (e.equals && !cmp.Equal(value.text, *e.equals)) fail(shown(value.text) + " is not " + *e.equals);
  if (e.not_equals && cmp.Equal(value.text, *e.not_equals)) fail("is " + *e.not_equals);
  if (e.one_of) {
    if (list) {
      for (const std::string& item : items) {
        if (!cmp.In(item, *e.one_of)) fail(shown(item) + " is not allowed");
      }
    } else if (!cmp.In(value.text, *e.one_of)) {
      fail(shown(value.text) + " is not one of " + Join(*e.one_of));
    }
  }
  if (e.subset_of) {
    for (const std::string& item : items) {
      if (!cmp.In(item, *e.subset_of)) fail(shown(item) + " is not in the allowed set");
    }
  }
  if (e.none_of) {
    for (const std::string& item : items) {
      if (cmp.In(item, *e.none_of)) fail(shown(item) + " is not allowed");
    }
  }
  if (e.contains && !cmp.In(*e.contains, items)) fail("does not contain " + *e.contains);
  if (e.not_contains && cmp.In(*e.not_contains, items)) fail("contains " + *e.not_contains);
  if (e.min || e.max) {
    auto n = NumericValue(check.type, value.text);
    if (!n) {
      fail(shown(value.text) + " is not a valid " + std::string(ValueTypeName(check.type)));
    } else {
      if (e.min && *n < *e.min) fail(shown(value.text) + " is below the minimum");
      if (e.max && *n > *e.max) fail(shown(value.text) + " is above the maximum");
    }
  }
  if (e.matches) {
    auto re = CompileRegex(*e.matches);
    if (!re || !SearchLine(*re, value.text)) fail(shown(value.text) + " does not match /" + *e.matches + "/");
  }
  j.ok = problems.empty();
  for (const std::string& p : problems) j.detail += (j.detail.empty() ? "" : "; ") + p;
  return j;
}

}  // namespace imawatch::compliance
