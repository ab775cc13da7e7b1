// `imawatch daemon`: keeps a node's measurement list proved against its TPM, its benchmark
// verdicts current, its findings stored and its metrics honest (doc/daemon.md).
//
// One loop thread owns the pipeline: each poll the live prover reads new entries and the PCRs;
// entries the TPM proved are appraised and the recommendations reading their paths evaluated
// again; the cursor, the findings, verdict changes and report snapshots of the poll commit in
// one store transaction. A restart (or a kill -9) resumes from the stored cursor: entries
// before it only rebuild the in-memory judgement, so each entry's findings are stored once.
// HTTP threads read a snapshot the loop publishes after each commit, never the pipeline.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "monitor/base/env.h"
#include "monitor/base/result.h"
#include "monitor/daemon/config.h"
#include "monitor/daemon/logger.h"

namespace imawatch::daemon {

class Daemon {
 public:
  // Opens the store, loads allow lists and benchmarks, opens the list, starts the HTTP server.
  static Result<std::unique_ptr<Daemon>> Create(Env& env, std::string config_path, DaemonConfig config,
                                                Logger& log);
  ~Daemon();

  // Polls until RequestStop(); the exit status: 0 after a clean stop.
  int Run();

  // Async-signal-safe: the signal handlers' side of SIGTERM/SIGINT and SIGHUP.
  static void RequestStop();
  static void RequestReload();

  uint16_t http_port() const;

 private:
  struct Impl;
  explicit Daemon(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace imawatch::daemon
