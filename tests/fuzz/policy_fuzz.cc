// Fuzzes the IMA policy linter: any bytes, any modeled kernel, any kernel settings. The
// linter must answer every input with diagnostics, never crash; an accepted rule must print
// (ShowRule) and be re-accepted from its own tokens.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <string_view>

#include "monitor/policy/coverage.h"
#include "monitor/policy/lint.h"
#include "monitor/policy/rule_parser.h"
#include "monitor/policy/show.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace imawatch::policy;
  if (size == 0) return 0;
  // The first byte picks the kernel and settings; the rest is the policy.
  uint8_t selector = data[0];
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto kernels = ReferenceKernels();
  Target target{kernels[selector % kernels.size()], {}};
  target.config.appraise_modsig = (selector & 0x08) == 0;
  target.config.measure_asymmetric_keys = (selector & 0x10) == 0;
  target.config.lsm = static_cast<Lsm>((selector >> 5) % 5);
  if (selector & 0x04) {
    // What the running system provides, as the VM rig passes it.
    target.config.hash_algos.emplace(std::initializer_list<std::string>{"sha1", "sha256"});
    target.config.apparmor_profiles.emplace(std::initializer_list<std::string>{"kubelet"});
  }

  LintReport report = LintPolicy(text, "fuzz", target);
  for (const auto& d : report.diagnostics) {
    if (d.code.empty() || d.message.empty()) std::abort();
    (void)d.ToString("fuzz");
  }
  for (const auto& rule : report.policy.rules) {
    (void)ShowRule(rule.rule, target.kernel);
    RuleParseResult again = ParseRule(NormalizedText(rule.rule), target);
    if (!again.rule) std::abort();
  }
  (void)EvaluateMeasurement(report.policy, target.kernel, InferFileFacts("/etc/kubernetes/kubelet.conf"),
                            Access::RootRead());
  return 0;
}
