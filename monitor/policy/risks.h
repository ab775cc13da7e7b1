// Warnings: rules the kernel accepts but that are probably not what the operator meant, or
// that are dangerous to load (appraisal that locks a node out, logs that grow without bound,
// rules that can never apply).
#pragma once

#include <vector>

#include "monitor/policy/diagnostic.h"
#include "monitor/policy/kernel.h"
#include "monitor/policy/policy.h"

namespace imawatch::policy {

std::vector<Diagnostic> FindRisks(const Policy& policy, const Target& target);

// True when rule `earlier` matches every access `later` matches (same action class assumed):
// then `later` can never decide, because the first matching rule of a class wins.
bool Covers(const Rule& earlier, const Rule& later);

}  // namespace imawatch::policy
