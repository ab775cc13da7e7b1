// Judges a found setting against a check's expectation, applying the check's rules for an
// unset value (product default, or the benchmark's own pass/fail for "unset").
#pragma once

#include <optional>
#include <string>

#include "monitor/compliance/benchmark.h"
#include "monitor/compliance/setting_value.h"

namespace imawatch::compliance {

struct Judgement {
  bool ok = false;
  std::string found;   // "false (/var/lib/kubelet/config.yaml:12)", "not set; default 0"
  std::string detail;  // why it failed; empty when ok
};

// default_value: what an unset setting means (the caller picks the kubelet's config-file or flag
// default). case_insensitive: compare strings ignoring case (sshd, key=value files).
Judgement JudgeSetting(const Check& check, const SettingValue& value,
                       const std::optional<std::string>& default_value, bool case_insensitive);

}  // namespace imawatch::compliance
