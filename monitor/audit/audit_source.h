// Where the daemon gets IMA audit records while it runs: a tail of auditd's audit.log, or
// the kernel's read-only audit multicast (doc/audit-format.md says which to pick).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "monitor/audit/ima_audit_event.h"
#include "monitor/base/env.h"
#include "monitor/base/result.h"

namespace imawatch::audit {

class AuditSource {
 public:
  virtual ~AuditSource() = default;
  // The records that arrived since the last Poll; never blocks. An Error (a malformed line,
  // lost records) loses nothing else: records read with it come with the next Poll.
  virtual Result<std::vector<ImaAuditEvent>> Poll() = 0;
  virtual std::string description() const = 0;
};

// Tails audit.log: returns events from lines appended since the last Poll; follows rotation
// (inode change or truncation → restart at the new file's beginning, after the rest of the
// old one); a partial last line waits for its newline; starts at the end of the existing file
// unless from_start.
Result<std::unique_ptr<AuditSource>> OpenAuditLogTail(Env& env, std::string path, bool from_start = false);

// Read-only listener on the kernel's audit multicast group (NETLINK_AUDIT, AUDIT_NLGRP_READLOG):
// needs CAP_AUDIT_READ; never sends a message, so it never configures audit nor becomes the
// audit daemon. Opening fails with the errno's text where the kernel does not allow it.
Result<std::unique_ptr<AuditSource>> OpenAuditNetlink();

}  // namespace imawatch::audit
