// imawatch audit watch: the kernel's IMA/EVM audit records as they arrive, from the read-only
// audit multicast or a tail of audit.log: the daemon's audit sources (monitor/audit), printed.
#include <chrono>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "monitor/audit/audit_source.h"
#include "monitor/base/env.h"
#include "monitor/cli/command.h"
#include "monitor/daemon/duration.h"

namespace imawatch::cli {
namespace {

using nlohmann::json;

constexpr auto kPollInterval = std::chrono::milliseconds(50);

struct WatchArgs {
  bool netlink = false;
  std::string file;
  bool from_start = false;
  bool json = false;
  uint64_t count = 0;
  std::string timeout;
};

json EventJson(const audit::ImaAuditEvent& e) {
  json out = {{"type", audit::AuditType(e.kind)},
              {"kind", audit::Name(e.kind)},
              {"serial", e.serial},
              {"time_ms", e.time_ms},
              {"op", e.op},
              {"cause", e.cause},
              {"path", e.path},
              {"comm", e.comm},
              {"result", e.result ? json(*e.result) : json(nullptr)},
              {"pid", e.pid ? json(*e.pid) : json(nullptr)},
              {"finding", e.is_finding()},
              {"explanation", e.Explanation()},
              {"fields", e.fields}};
  return out;
}

int Watch(const WatchArgs& args) {
  std::optional<std::chrono::milliseconds> timeout;
  if (!args.timeout.empty()) {
    timeout = daemon::ParseDuration(args.timeout);
    if (!timeout) {
      std::cerr << "imawatch audit watch: --timeout '" << args.timeout
                << "' is not a duration such as 30s, 500ms or 5m\n";
      return kExitUsage;
    }
  }
  auto source = args.file.empty() ? audit::OpenAuditNetlink()
                                  : audit::OpenAuditLogTail(Env::Default(), args.file, args.from_start);
  if (!source) {
    std::cerr << "imawatch audit watch: " << source.error().ToString() << "\n";
    return kExitUsage;
  }
  // A caller starting activity after us waits for this line: from here on nothing is missed.
  std::cerr << "imawatch audit watch: listening on " << (*source)->description() << std::endl;

  const auto deadline = std::chrono::steady_clock::now() + timeout.value_or(std::chrono::milliseconds(0));
  uint64_t seen = 0;
  bool lost = false;
  while (args.count == 0 || seen < args.count) {
    auto events = (*source)->Poll();
    if (!events) {
      std::cerr << "imawatch audit watch: " << events.error().ToString() << std::endl;
      lost = true;
    }
    for (const auto& e : events ? *events : std::vector<audit::ImaAuditEvent>{}) {
      if (args.json) {
        std::cout << EventJson(e).dump() << std::endl;
      } else {
        std::cout << audit::Name(e.kind) << " " << e.Explanation() << std::endl;
      }
      if (++seen == args.count) break;
    }
    if (args.count != 0 && seen >= args.count) break;
    if (timeout && std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(kPollInterval);
  }
  if (args.count != 0 && seen < args.count) {
    std::cerr << "imawatch audit watch: " << seen << " of " << args.count << " records before the timeout\n";
    return kExitFailed;
  }
  return lost ? kExitFailed : kExitOk;
}

const CommandRegistration kAudit("audit", [](CLI::App& root, int& exit_code) {
  auto* audit_cmd = root.add_subcommand("audit", "The kernel's IMA/EVM audit records");
  audit_cmd->require_subcommand(1);
  auto args = std::make_shared<WatchArgs>();
  auto* watch = audit_cmd->add_subcommand(
      "watch",
      "Print IMA/EVM audit records (types 1800-1807) as they arrive, from the audit multicast (default, "
      "needs CAP_AUDIT_READ, never configures audit) or a tail of audit.log (exit 0, 1 when --count was not "
      "reached or records were lost, 2 when the source cannot be opened)");
  auto* netlink = watch->add_flag("--netlink", args->netlink, "Read the kernel's audit multicast (default)");
  auto* file = watch->add_option("--file", args->file, "Tail this audit.log instead");
  netlink->excludes(file);
  watch->add_flag("--from-start", args->from_start, "With --file: read the file from its beginning")
      ->needs(file);
  watch->add_flag("--json", args->json, "One JSON object per record");
  watch->add_option("--count", args->count, "Stop after N records");
  watch->add_option("--timeout", args->timeout, "Stop after this long (30s, 500ms, 5m); default: never");
  watch->callback([args, &exit_code] { exit_code = Watch(*args); });
});

}  // namespace
}  // namespace imawatch::cli
