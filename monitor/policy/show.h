// A rule in the form the kernel prints it when the policy is read back
// (<securityfs>/ima/policy, ima_policy_show()): fixed condition order, aliases resolved.
#pragma once

#include <string>

#include "monitor/policy/kernel.h"
#include "monitor/policy/rule.h"

namespace imawatch::policy {

// Without the kernel's trailing blank and newline.
std::string ShowRule(const Rule& rule, KernelVersion kernel);

// The rule's tokens joined by single spaces (how a plain copy of the rule reads back).
std::string NormalizedText(const Rule& rule);

}  // namespace imawatch::policy
