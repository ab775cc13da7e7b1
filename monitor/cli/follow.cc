#include "monitor/cli/follow.h"

#include <csignal>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "monitor/cli/command.h"
#include "monitor/cli/json_output.h"
#include "monitor/cli/list_options.h"
#include "monitor/ima/live_prover.h"
#include "monitor/tpm/live_pcr_reader.h"

namespace imawatch::cli {
namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

void Emit(bool json, const nlohmann::json& event, const std::string& text) {
  if (json) {
    std::cout << JsonText(event, -1) << std::endl;
  } else {
    std::cout << text << std::endl;
  }
}

std::string Prefix(const ima::PollResult& r) { return "epoch " + std::to_string(r.epoch) + ": "; }

}  // namespace

int Follow(const FollowOptions& o) {
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  const std::string path = ima::LogTail::ListPath(o.securityfs);
  auto tail = ima::LogTail::Open(Env::Default(), path, {.reader = o.reader});
  if (!tail) return ReportInputError("verify", tail.error());
  auto reader = std::make_shared<tpm::LivePcrReader>(o.tcti);
  ima::LiveProver prover(
      std::move(*tail), [reader](std::span<const uint32_t> indexes) { return reader->Read(indexes); },
      {.banks = o.banks, .ima_pcrs = o.ima_pcrs.empty() ? std::vector<uint32_t>{10} : o.ima_pcrs});
  Emit(o.json, {{"event", "start"}, {"list", path}, {"tcti", o.tcti}},
       "following " + path + " against the TPM at " + o.tcti);

  bool mismatch_seen = false, tpm_down = false;
  while (!g_stop) {
    auto polled = prover.Poll();
    if (!polled) {
      ReportInputError("verify", polled.error());
      return kExitUsage;
    }
    const ima::PollResult& r = *polled;
    if (r.new_epoch) {
      nlohmann::json e = {{"event", "epoch"}, {"epoch", r.epoch}, {"reason", r.epoch_reason}};
      std::string text = Prefix(r) + "new boot epoch (" + r.epoch_reason + ")";
      if (r.boot_aggregate) {
        e["boot_aggregate"] = std::string(ima::Name(r.boot_aggregate->algo)) + ":" + r.boot_aggregate->hex();
        text += ", boot_aggregate " + e["boot_aggregate"].get<std::string>();
      }
      Emit(o.json, e, text);
    }
    if (r.tpm_unavailable != tpm_down) {
      tpm_down = r.tpm_unavailable;
      if (tpm_down) {
        Emit(o.json,
             {{"event", "tpm-unavailable"},
              {"epoch", r.epoch},
              {"error", r.tpm_error},
              {"pending", r.pending}},
             Prefix(r) + "TPM unavailable, nothing proved until it answers: " + r.tpm_error);
      } else {
        Emit(o.json, {{"event", "tpm-available"}, {"epoch", r.epoch}}, Prefix(r) + "TPM available again");
      }
    }
    if (r.newly_proved) {
      Emit(o.json,
           {{"event", "proved"},
            {"epoch", r.epoch},
            {"first", r.newly_proved->first},
            {"last", r.newly_proved->second},
            {"proved", r.proved},
            {"pending", r.pending}},
           Prefix(r) + "proved entries " + std::to_string(r.newly_proved->first) + ".." +
               std::to_string(r.newly_proved->second) + " (" + std::to_string(r.proved) + " proved, " +
               std::to_string(r.pending) + " pending)");
    }
    if (r.mismatch) {
      mismatch_seen = true;
      Emit(o.json,
           {{"event", "mismatch"},
            {"epoch", r.epoch},
            {"untrusted_from", r.untrusted_from},
            {"entries", r.entries},
            {"reason", r.mismatch_reason}},
           Prefix(r) + "MISMATCH: entries from " + std::to_string(r.untrusted_from) +
               " on are not trusted: " + r.mismatch_reason);
    }
    const auto until = std::chrono::steady_clock::now() + o.interval;
    while (!g_stop && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(
          std::min<std::chrono::milliseconds>(o.interval, std::chrono::milliseconds(10)));
    }
  }
  Emit(o.json, {{"event", "stop"}, {"mismatch_seen", mismatch_seen}},
       mismatch_seen ? "stopped: a mismatch was seen" : "stopped: no mismatch seen");
  return mismatch_seen ? kExitFailed : kExitOk;
}

}  // namespace imawatch::cli
