// Shared helpers of the policy tests: targets from "6.12,IMA_APPRAISE_MODSIG=n" strings and
// the escapes used in the corpus files.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "monitor/policy/kernel.h"
#include "monitor/policy/rule_parser.h"

namespace imawatch::policy::testing {

inline Target TargetFrom(std::string_view spec) {
  Target target;
  size_t comma = spec.find(',');
  auto version = ParseKernelVersion(spec.substr(0, comma));
  EXPECT_TRUE(version.has_value()) << spec;
  if (version) target.kernel = *version;
  while (comma != std::string_view::npos) {
    size_t next = spec.find(',', comma + 1);
    std::string_view setting =
        spec.substr(comma + 1, next == std::string_view::npos ? next : next - comma - 1);
    EXPECT_TRUE(ApplyKernelSetting(target.config, setting).ok()) << setting;
    comma = next;
  }
  return target;
}

inline Target Kernel(uint16_t major, uint16_t minor) { return Target{KernelVersion{major, minor}, {}}; }

// "\r" and "\t" in corpus files stand for a carriage return and a tab.
inline std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == 'r' || s[i + 1] == 't')) {
      out += s[i + 1] == 'r' ? '\r' : '\t';
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The error code for a rule on a target, or "" when accepted.
inline std::string ErrorCode(std::string_view rule, const Target& target) {
  auto result = ParseRule(rule, target);
  return result.error ? result.error->code : std::string();
}

}  // namespace imawatch::policy::testing
