// What the kernel logged about a policy write: its "ima: ..." lines and the integrity audit
// records it printed ("audit: type=18xx ..."; the kernel prints audit records when no audit
// daemon takes them, rate-limited). Read from the kernel ring buffer (syslog(2), as dmesg).
#pragma once

#include <string>
#include <vector>

namespace imawatch::policy {

// The ring buffer's lines; empty when it cannot be read (no CAP_SYSLOG, dmesg_restrict).
std::vector<std::string> KernelLogLines();

// The IMA and integrity audit lines of `after` that `before` did not have.
std::vector<std::string> NewImaLogLines(const std::vector<std::string>& before,
                                        const std::vector<std::string>& after);

}  // namespace imawatch::policy
