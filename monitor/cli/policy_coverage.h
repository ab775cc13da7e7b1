// Which recommendations of a benchmark the monitor can decide under an IMA policy: each file a
// recommendation reads must be measured by the policy, on the hook the check needs, with a
// template that carries what the check reads (owner/group/mode need evm-sig).
#pragma once

#include <string>

#include "monitor/compliance/benchmark.h"
#include "monitor/compliance/coverage.h"
#include "monitor/policy/coverage.h"
#include "monitor/policy/kernel.h"
#include "monitor/policy/policy.h"

namespace imawatch::cli {

// default_template: the kernel's ima_template= for rules without template=.
compliance::Coverage PolicyCoverage(const compliance::Benchmark& benchmark, const policy::Policy& policy,
                                    policy::KernelVersion kernel, const std::string& default_template);

}  // namespace imawatch::cli
