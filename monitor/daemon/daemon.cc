#include "monitor/daemon/daemon.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <malloc.h>
#include <sys/vfs.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "monitor/appraise/allow_list_io.h"
#include "monitor/audit/audit_source.h"
#include "monitor/base/hex.h"
#include "monitor/base/hostname.h"
#include "monitor/base/utf8.h"
#include "monitor/compliance/benchmark_catalog.h"
#include "monitor/compliance/check.h"
#include "monitor/daemon/daemon_metrics.h"
#include "monitor/daemon/node_assessment.h"
#include "monitor/daemon/systemd_notify.h"
#include "monitor/http/bearer_auth.h"
#include "monitor/http/server.h"
#include "monitor/ima/live_prover.h"
#include "monitor/store/store.h"
#include "monitor/tpm/attest.h"
#include "monitor/tpm/live_pcr_reader.h"
#include "monitor/watch/file_watcher.h"
#include "reporters/report/render.h"
#include "reporters/report/report_document.h"
#include "reporters/report/stored_report.h"
#include "reporters/sinks/delivery_loop.h"

namespace imawatch::daemon {
namespace {

using nlohmann::json;
namespace comp = imawatch::compliance;

// The first 48 bits of "sha256:<hex>" as an integer (exact in a double); 0 if not hex.
uint64_t DigestPrefix(std::string_view digest) {
  std::string_view hex = digest.substr(digest.find(':') == std::string_view::npos ? 0 : digest.find(':') + 1);
  uint64_t value = 0;
  for (char c : hex.substr(0, 12)) {
    int nibble = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (nibble < 0) return 0;
    value = value << 4 | static_cast<uint64_t>(nibble);
  }
  return value;
}

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reload{false};

constexpr const char* kVersion = "0.1.0";
constexpr const char* kTagConfig = "config";
constexpr const char* kTagInputs = "inputs";
constexpr const char* kFilePrefix = "file:";
constexpr int64_t kRetentionEverySeconds = 3600;
constexpr uint64_t kReleaseMemoryAfterEntries = 4096;

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// SHA-256 of the list's bytes before the cursor: on restart, the same bytes mean the same boot.
class PrefixHash {
 public:
  PrefixHash() : ctx_(EVP_MD_CTX_new()) { Reset(); }
  ~PrefixHash() { EVP_MD_CTX_free(ctx_); }
  PrefixHash(const PrefixHash&) = delete;
  PrefixHash& operator=(const PrefixHash&) = delete;

  void Reset() {
    EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr);
    offset_ = 0;
  }
  // Hashes the file's bytes from where the last call stopped up to end.
  Status Extend(RandomAccessFile& file, uint64_t end) {
    std::vector<uint8_t> buffer(1 << 16);
    while (offset_ < end) {
      const size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), end - offset_));
      auto got = file.ReadAt(offset_, std::span(buffer.data(), want));
      if (!got) return got.error();
      if (*got == 0)
        return IoError("the list ended at byte " + std::to_string(offset_) + " before its cursor");
      EVP_DigestUpdate(ctx_, buffer.data(), *got);
      offset_ += *got;
    }
    return Status::Ok();
  }
  std::vector<uint8_t> Value() const {
    EVP_MD_CTX* copy = EVP_MD_CTX_new();
    EVP_MD_CTX_copy_ex(copy, ctx_);
    std::vector<uint8_t> out(32);
    unsigned int size = 0;
    EVP_DigestFinal_ex(copy, out.data(), &size);
    EVP_MD_CTX_free(copy);
    return out;
  }

 private:
  EVP_MD_CTX* ctx_;
  uint64_t offset_ = 0;
};

// What HTTP threads read: rebuilt by the loop after every commit.
struct Published {
  json status = {{"state", "starting"}};
  std::map<std::string, json> reports;  // benchmark id -> report JSON
  std::map<std::string, std::string> reports_text;
  bool ready = false;
};

Result<std::shared_ptr<const AssessmentInputs>> LoadInputs(Env& env, const DaemonConfig& config) {
  auto inputs = std::make_shared<AssessmentInputs>();
  inputs->root = config.root;
  inputs->measures_module_loads = config.measures_module_loads;
  auto lists = appraise::LoadAllowLists(env, config.allow_lists);
  if (!lists) return lists.error();
  inputs->allow_lists = std::move(*lists);
  auto keys = appraise::LoadTrustedKeys(env, config.certificates);
  if (!keys) return keys.error();
  inputs->keys = std::move(*keys);
  const std::string dir =
      config.benchmarks_dir.empty() ? comp::DefaultBenchmarksDir() : config.benchmarks_dir;
  for (const BenchmarkConfig& b : config.benchmarks) {
    auto benchmark = comp::FindBenchmark(env, b.id, dir);
    if (!benchmark) return benchmark.error();
    inputs->benchmarks.push_back(comp::FilterBenchmark(*benchmark, b.level, b.profile));
  }
  return std::shared_ptr<const AssessmentInputs>(std::move(inputs));
}

// The kernel's list cannot be edited in place; any other directory's can.
bool RecheckList(const DaemonConfig& config) {
  switch (config.recheck_list) {
    case DaemonConfig::RecheckList::kAlways:
      return true;
    case DaemonConfig::RecheckList::kNever:
      return false;
    case DaemonConfig::RecheckList::kAuto:
      break;
  }
  constexpr decltype(statfs::f_type) kSecurityfsMagic = 0x73636673;
  struct statfs fs {};
  return statfs(config.securityfs.c_str(), &fs) != 0 || fs.f_type != kSecurityfsMagic;
}

Result<std::string> ReadToken(Env& env, const std::string& path) {
  if (path.empty()) return std::string();
  auto text = env.ReadFile(path, 4096);
  if (!text) return text.error();
  std::string token = *text;
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
    token.pop_back();
  if (token.empty()) return InvalidInput("the token file is empty", Position{.source = path});
  return token;
}

std::vector<std::string> SinkNames(const std::vector<SinkConfig>& sinks) {
  std::vector<std::string> names;
  for (const SinkConfig& s : sinks) names.push_back(s.type + "/" + s.name);
  return names;
}

std::string LevelLabel(const std::optional<int>& level) { return level ? std::to_string(*level) : "none"; }

// The TPM error's class, for a bounded label.
std::string TpmErrorReason(const std::string& error) {
  if (error.find("onnect") != std::string::npos || error.find("refused") != std::string::npos)
    return "connect";
  if (error.find("no ") != std::string::npos && error.find("bank") != std::string::npos) return "bank";
  if (error.find("timeout") != std::string::npos || error.find("imed out") != std::string::npos)
    return "timeout";
  return "command";
}

}  // namespace

struct Daemon::Impl {
  Env& env;
  std::string config_path;
  DaemonConfig config;
  Logger& log;
  std::shared_ptr<const AssessmentInputs> inputs;
  std::optional<store::Store> store;
  std::optional<store::Store>
      read_store;  // HTTP threads' own connection (SQLite readers never block the writer)
  std::mutex read_store_mutex;
  std::unique_ptr<ima::LiveProver> prover;
  std::unique_ptr<RandomAccessFile> list_file;  // for the prefix hash
  std::unique_ptr<NodeAssessment> assessment;
  DaemonMetrics metrics{kVersion};
  std::unique_ptr<http::Server> http;
  std::unique_ptr<watch::FileWatcher> watcher;
  std::unique_ptr<audit::AuditSource> audit;
  std::vector<std::unique_ptr<sinks::DeliveryLoop>> deliveries;  // one thread per sink
  std::string token;
  std::mutex token_mutex;

  // Entries read, waiting for a PCR reading to prove them.
  std::deque<comp::CapturedEntry> pending;
  // The store epoch and the cursor as committed.
  std::optional<store::Epoch> epoch;
  store::Cursor cursor;
  PrefixHash prefix;
  uint64_t processed = 0;  // entries of this epoch handed to the assessment
  std::map<std::pair<std::string, std::string>, std::string> verdicts;  // as committed
  std::map<std::string, Drift> committed_drift;                         // drift the store has open
  std::set<std::string> open_findings;
  std::map<uint32_t, std::shared_ptr<const std::string>>
      proof_texts;  // per PCR, the latest                                  // keys the store has open
  std::vector<store::FindingSeen> audit_findings;  // waiting for an epoch to commit with

  std::string state = "starting";
  ima::PollResult last_poll;  // what the metrics show of the newest poll
  bool new_boot = false;      // a reboot seen while the new list had no entry yet
  uint64_t list_entries = 0;
  bool untrusted = false;
  std::string mismatch_reason;
  uint64_t untrusted_from = 0;
  int64_t last_verified = 0;
  int64_t last_quote_at = 0;
  int64_t last_retention = 0;
  std::chrono::steady_clock::time_point next_quote = std::chrono::steady_clock::now();
  std::atomic<int64_t> last_loop{0};

  std::mutex published_mutex;
  Published published;

  Impl(Env& e, std::string path, DaemonConfig c, Logger& l)
      : env(e), config_path(std::move(path)), config(std::move(c)), log(l) {}

  Status Open();
  void OpenProver();
  Status OpenAudit();
  Status StartSinks();
  void Watch();
  void PollOnce();
  Status ResolveEpoch(const ima::PollResult& r);
  Status StartEpoch(const std::string& boot_aggregate, bool force_new, const std::string& reason);
  Status ProcessProved(const ima::PollResult& r);
  std::shared_ptr<const std::string> ProofText(uint32_t pcr);
  comp::CheckOutcome Outcome(size_t benchmark) const;
  Status Commit(store::Batch& batch);
  void Quote();
  void PollAudit();
  void PollWatcher(std::chrono::milliseconds timeout);
  void Reload(const std::string& why);
  void ApplyRetention();
  // Every benchmark's outcome as the metrics and the HTTP snapshot show it.
  std::vector<comp::CheckOutcome> Outcomes() const;
  void UpdateMetrics(const std::vector<comp::CheckOutcome>& outcomes);
  void ExportPolicyLoads();
  void Publish(const std::vector<comp::CheckOutcome>& outcomes);
  http::Response Handle(const http::Request& request);
  // /v1/reports/{id}?format= beyond json and text (doc/report-format.md).
  http::Response RenderReport(json current, const std::string& id, const std::string& format,
                              const http::Request& request);
};

Status Daemon::Impl::Open() {
  auto loaded = LoadInputs(env, config);
  if (!loaded) return loaded.error();
  inputs = std::move(*loaded);
  assessment = std::make_unique<NodeAssessment>(env, inputs);
  auto opened = store::Store::Open(config.store_path);
  if (!opened) return opened.error();
  store.emplace(std::move(*opened));
  auto reader = store::Store::Open(config.store_path);
  if (!reader) return reader.error();
  read_store.emplace(std::move(*reader));
  auto t = ReadToken(env, config.token_file);
  if (!t) return t.error();
  token = *t;
  if (Status s = StartSinks(); !s.ok()) return s;
  OpenProver();
  if (Status s = OpenAudit(); !s.ok()) return s;
  if (config.watch_enabled) {
    auto w = watch::FileWatcher::Create(config.watch_debounce);
    if (!w) return w.error();
    watcher = std::move(*w);
    Watch();
  }
  if (!config.http_listen.empty()) {
    auto server = http::Server::Start({.listen = config.http_listen},
                                      [this](const http::Request& request) { return Handle(request); });
    if (!server) return server.error();
    http = std::move(*server);
    log.Info("http.listening", {{"address", http->address()}});
  }
  return Status::Ok();
}

// Each sink delivers from the outbox on its own thread and store connection.
Status Daemon::Impl::StartSinks() {
  for (const SinkConfig& sink : config.sinks) {
    auto made = sinks::MakeSink(sink.options, kVersion);
    if (!made)
      return Error(made.error().kind(), "sink " + sink.name + ": " + made.error().message(), sink.where);
    sinks::DeliveryLog delivery_log{
        .warn = [this](const std::string& event, const std::string& name, const std::string& detail) {
          log.Warn(event, {{"sink", name}, {"detail", detail}});
        }};
    deliveries.push_back(std::make_unique<sinks::DeliveryLoop>(sink.name, std::move(*made), config.store_path,
                                                               metrics.sinks, std::move(delivery_log)));
    deliveries.back()->Start();
  }
  return Status::Ok();
}

void Daemon::Impl::OpenProver() {
  prover.reset();
  list_file.reset();
  pending.clear();
  const std::string path = ima::LogTail::ListPath(config.securityfs);
  auto tail = ima::LogTail::Open(env, path, {.recheck_read_bytes = RecheckList(config)});
  if (!tail) {
    log.Error("list.open_failed", {{"list", path}, {"error", tail.error().ToString()}});
    return;
  }
  auto reader = std::make_shared<tpm::LivePcrReader>(config.tcti);
  ima::LiveOptions options{
      .banks = config.banks, .ima_pcrs = config.ima_pcrs, .extend_grace = config.extend_grace};
  options.on_entry = [this](const ima::EntryView& e) {
    // A rewritten list is read again from an earlier entry: what was captured past it is gone.
    while (!pending.empty() && pending.back().index >= e.index) pending.pop_back();
    pending.push_back(comp::Capture(e));
  };
  prover = std::make_unique<ima::LiveProver>(
      std::move(*tail), [reader](std::span<const uint32_t> indexes) { return reader->Read(indexes); },
      std::move(options));
  auto file = env.OpenForRead(path);
  if (file) list_file = std::move(*file);
}

Status Daemon::Impl::OpenAudit() {
  audit.reset();
  using Kind = DaemonConfig::AuditSourceKind;
  if (config.audit_source == Kind::kNone) return Status::Ok();
  if (config.audit_source == Kind::kNetlink || config.audit_source == Kind::kAuto) {
    auto netlink = audit::OpenAuditNetlink();
    if (netlink) {
      audit = std::move(*netlink);
    } else if (config.audit_source == Kind::kNetlink) {
      return netlink.error();
    } else {
      log.Info("audit.netlink_unavailable", {{"error", netlink.error().ToString()}});
    }
  }
  if (!audit && (config.audit_source == Kind::kFile || env.Exists(config.audit_log))) {
    auto tail = audit::OpenAuditLogTail(env, config.audit_log);
    if (!tail) return tail.error();
    audit = std::move(*tail);
  }
  if (audit) log.Info("audit.source", {{"source", audit->description()}});
  return Status::Ok();
}

void Daemon::Impl::Watch() {
  if (!watcher) return;
  watcher->Clear();
  auto add = [&](const std::string& path, const std::string& tag) {
    Status s = watcher->Watch(path, tag);
    if (!s.ok()) log.Debug("watch.skipped", {{"path", path}, {"error", s.error().ToString()}});
  };
  if (!config_path.empty()) add(config_path, kTagConfig);
  for (const auto& p : config.allow_lists) add(p, kTagInputs);
  for (const auto& p : config.certificates) add(p, kTagInputs);
  for (const auto& b : inputs->benchmarks) {
    if (!b.file.empty()) add(b.file, kTagInputs);
  }
  const std::string root = config.root == "/" ? "" : config.root;
  for (const std::string& path : assessment->NamedPaths()) add(root + path, kFilePrefix + path);
}

std::shared_ptr<const std::string> Daemon::Impl::ProofText(uint32_t pcr) {
  std::optional<ima::PcrProofValue> best;
  for (const auto& p : prover->proof_values()) {
    if (p.pcr != pcr) continue;
    if (!best || p.proved_list > best->proved_list ||
        (p.proved_list == best->proved_list && p.bank == ima::HashAlgo::kSha256)) {
      best = p;
    }
  }
  if (!best) return nullptr;
  std::string text = std::string(ima::Name(best->bank)) + " PCR " + std::to_string(pcr) +
                     " replay of entries 0.." + std::to_string(best->proved_list - 1) + " = " +
                     best->value.hex() + " (TPM " + config.tcti + ")";
  // Every entry one reading proved shares the text.
  auto& cached = proof_texts[pcr];
  if (!cached || *cached != text) cached = std::make_shared<const std::string>(std::move(text));
  return cached;
}

Status Daemon::Impl::StartEpoch(const std::string& boot_aggregate, bool force_new,
                                const std::string& reason) {
  auto e = store->EnterEpoch(boot_aggregate, NowSeconds(), force_new);
  if (!e) return e.error();
  epoch = *e;
  cursor = store::Cursor{};
  auto c = store->LoadCursor(epoch->id);
  if (!c) return c.error();
  cursor = *c;
  auto v = store->CurrentVerdicts(epoch->id);
  if (!v) return v.error();
  verdicts = std::move(*v);
  auto findings = store->Findings(false);
  if (!findings) return findings.error();
  open_findings.clear();
  for (const auto& f : *findings) open_findings.insert(f.key);
  processed = 0;
  prefix.Reset();
  assessment->Reset();
  committed_drift.clear();
  log.Info("epoch.enter", {{"epoch", epoch->id},
                           {"boot_aggregate", boot_aggregate},
                           {"resumed_at_entry", cursor.entry_index},
                           {"reason", reason}});
  return Status::Ok();
}

// The first poll that knows the list's boot_aggregate decides: the stored epoch continues if
// the list still holds, byte for byte, what its cursor consumed; otherwise this is a new boot.
Status Daemon::Impl::ResolveEpoch(const ima::PollResult& r) {
  const std::string aggregate =
      std::string(ima::Name(r.boot_aggregate->algo)) + ":" + r.boot_aggregate->hex();
  auto current = store->CurrentEpoch();
  if (!current) return current.error();
  if (!current->has_value() || (*current)->boot_aggregate != aggregate) {
    return StartEpoch(aggregate, false, "new boot_aggregate");
  }
  if (new_boot) {  // the prover saw the list replaced before its first entry was back
    new_boot = false;
    return StartEpoch(aggregate, true, "a new list after a reboot");
  }
  auto c = store->LoadCursor((*current)->id);
  if (!c) return c.error();
  bool same = c->entry_index == 0;
  if (!same && list_file) {
    PrefixHash check;
    Status hashed = check.Extend(*list_file, c->byte_offset);
    same = hashed.ok() && check.Value() == c->replay_state;
  }
  return StartEpoch(aggregate, !same, same ? "resumed" : "the list no longer holds the stored prefix");
}

comp::CheckOutcome Daemon::Impl::Outcome(size_t b) const {
  comp::CheckOutcome o;
  o.report = assessment->report(b);
  o.appraisals = assessment->counts();
  o.verify.entries = list_entries;
  o.proved_entries = processed;
  o.verified = !untrusted && processed > 0 && state != "starting";
  for (const auto& p : prover ? prover->proof_values() : std::vector<ima::PcrProofValue>{}) {
    o.proofs.push_back({.bank = p.bank,
                        .pcr = p.pcr,
                        .value = p.value.hex(),
                        .matched = !untrusted,
                        .proved_entries = p.proved_list});
  }
  if (untrusted) {
    comp::MarkListNotVerified(
        inputs->benchmarks[b],
        "log and TPM disagree from entry " + std::to_string(untrusted_from) + " on: " + mismatch_reason, o);
  } else if (processed == 0) {
    comp::MarkListNotVerified(inputs->benchmarks[b], "no entry proved by the TPM yet", o);
  }
  return o;
}

Status Daemon::Impl::Commit(store::Batch& batch) {
  Status s = store->CommitBatch(batch);
  if (!s.ok()) {
    metrics.CountStoreError();
    return s;
  }
  cursor = batch.cursor;
  return Status::Ok();
}

Status Daemon::Impl::ProcessProved(const ima::PollResult& r) {
  const uint64_t proved = untrusted ? processed : r.proved;
  // Entries the store already has (before a restart): they rebuild the judgement only.
  bool rebuilt = false;
  uint64_t rebuilt_to = 0;
  while (!pending.empty() && pending.front().index < processed) pending.pop_front();
  while (!pending.empty() && pending.front().index < std::min(proved, cursor.entry_index)) {
    const comp::CapturedEntry& e = pending.front();
    assessment->AddProved(e, ProofText(e.pcr));
    processed = e.index + 1;
    rebuilt_to = e.offset + e.size;
    pending.pop_front();
    rebuilt = true;
  }
  if (rebuilt) {
    if (Status s = prefix.Extend(*list_file, rebuilt_to); !s.ok()) return s;
  }
  // What the store holds open (a restart rebuilt it; a reload may have changed the judgement
  // since the last commit).
  if (rebuilt) committed_drift = assessment->drift();
  const std::map<std::string, Drift>& drift_before = committed_drift;

  store::Batch batch{.epoch_id = epoch->id,
                     .expected_entry_index = cursor.entry_index,
                     .cursor = cursor,
                     .now = NowSeconds()};
  while (!pending.empty() && pending.front().index < proved) {
    const comp::CapturedEntry& e = pending.front();
    if (assessment->AddProved(e, ProofText(e.pcr)) && e.file_digest) {
      batch.entries.push_back({.entry_index = e.index,
                               .pcr = e.pcr,
                               .template_name = e.template_name,
                               .digest_algo = std::string(ima::Name(e.file_digest->algo)),
                               .digest_hex = e.file_digest->hex(),
                               .path = e.path});
    }
    processed = e.index + 1;
    batch.cursor.entry_index = processed;
    batch.cursor.byte_offset = e.offset + e.size;
    pending.pop_front();
  }
  batch.cursor.proved_entries = batch.cursor.entry_index;
  if (Status s = prefix.Extend(*list_file, batch.cursor.byte_offset); !s.ok()) return s;
  batch.cursor.replay_state = prefix.Value();
  metrics.entries_proved.Increment(static_cast<double>(batch.cursor.entry_index - cursor.entry_index));

  // Drift: opened, seen again with another digest, or resolved.
  std::vector<std::string> opened, resolved;
  for (const auto& [path, d] : assessment->drift()) {
    auto before = drift_before.find(path);
    if (before != drift_before.end() && before->second.entry_index == d.entry_index) continue;
    json detail = {{"path", Utf8OrEscaped(d.path)}, {"digest", d.digest},       {"template", d.template_name},
                   {"entry_index", d.entry_index},  {"appraisal", d.appraisal}, {"epoch", epoch->id}};
    json recs = json::array();
    for (const auto& [bench, rec] : assessment->RecommendationsReading(path))
      recs.push_back(bench + "/" + rec);
    detail["recommendations"] = recs;
    batch.findings_seen.push_back(
        {.key = "drift:" + path,
         .subject = Utf8OrEscaped(path),
         .detail_json = detail.dump(-1, ' ', false, json::error_handler_t::replace)});
    if (before == drift_before.end()) opened.push_back(path);
  }
  for (const auto& [path, d] : drift_before) {
    if (!assessment->drift().count(path)) {
      batch.findings_resolved.push_back("drift:" + path);
      resolved.push_back(path);
    }
  }

  // Verdicts: a change is history; a failing recommendation is a finding until it passes.
  for (size_t b : assessment->Evaluate()) (void)b;
  for (size_t b = 0; b < assessment->benchmark_count(); ++b) {
    const comp::CheckOutcome o = Outcome(b);
    const std::string& bench = inputs->benchmarks[b].id;
    bool changed = false;
    for (const comp::RecommendationResult& result : o.report.results) {
      const std::string verdict(comp::VerdictName(result.verdict));
      auto& last = verdicts[{bench, result.id}];
      if (last == verdict) continue;
      const std::string key = "recommendation:" + bench + ":" + result.id;
      if (verdict == "fail" && !open_findings.count(key)) {
        json detail = {{"benchmark", bench},
                       {"recommendation", result.id},
                       {"title", result.title},
                       {"result", verdict},
                       {"reason", Utf8OrEscaped(result.reason)},
                       {"epoch", epoch->id}};
        batch.findings_seen.push_back(
            {.key = key,
             .subject = bench + "/" + result.id,
             .detail_json = detail.dump(-1, ' ', false, json::error_handler_t::replace)});
      } else if (result.verdict != comp::Verdict::kError && result.verdict != comp::Verdict::kFail &&
                 open_findings.count(key)) {
        // Resolved by a decision (pass, not-applicable, manual); an error (evidence withdrawn
        // or missing) proves nothing either way and leaves a failing finding open.
        batch.findings_resolved.push_back(key);
      }
      last = verdict;
      batch.verdicts.push_back({.benchmark = bench, .recommendation = result.id, .result = verdict});
      changed = true;
    }
    if (changed) {
      report::ReportDocument doc{.benchmark = &inputs->benchmarks[b],
                                 .outcome = &o,
                                 .hostname = config.node_name,
                                 .root = config.root,
                                 .list = config.securityfs,
                                 .pcr_source = "TPM " + config.tcti,
                                 .generated_at = batch.now,
                                 .epoch = epoch->id,
                                 .state = state};
      batch.reports.push_back(
          {.benchmark = bench,
           .report_json = report::ReportJson(doc).dump(-1, ' ', false, json::error_handler_t::replace)});
    }
  }
  batch.findings_seen.insert(batch.findings_seen.end(), audit_findings.begin(), audit_findings.end());

  // The sinks' messages ride in the same transaction (transactional outbox): a sink hears of
  // exactly the findings committed, each once.
  for (const SinkConfig& sink : config.sinks) {
    for (const store::FindingSeen& f : batch.findings_seen) {
      json message = {{"event", "finding"},
                      {"state", open_findings.count(f.key) ? "updated" : "open"},
                      {"key", f.key},
                      {"subject", f.subject},
                      {"node", config.node_name},
                      {"epoch", epoch->id},
                      {"time", batch.now},
                      {"detail", json::parse(f.detail_json, nullptr, false)}};
      batch.outbox.push_back({.sink = sink.name,
                              .payload = message.dump(-1, ' ', false, json::error_handler_t::replace),
                              .finding_key = f.key});
    }
    for (const std::string& key : batch.findings_resolved) {
      json message = {{"event", "finding"},       {"state", "resolved"}, {"key", key},
                      {"node", config.node_name}, {"epoch", epoch->id},  {"time", batch.now}};
      batch.outbox.push_back({.sink = sink.name,
                              .payload = message.dump(-1, ' ', false, json::error_handler_t::replace),
                              .finding_key = key});
    }
  }

  const bool anything = batch.cursor.entry_index != batch.expected_entry_index ||
                        !batch.findings_seen.empty() || !batch.findings_resolved.empty() ||
                        !batch.verdicts.empty();
  if (!anything) return Status::Ok();
  if (Status s = Commit(batch); !s.ok()) return s;
  if (!batch.outbox.empty()) {
    for (auto& delivery : deliveries) delivery->Notify();
  }
  committed_drift = assessment->drift();
  audit_findings.clear();
  for (const auto& f : batch.findings_seen) open_findings.insert(f.key);
  for (const auto& key : batch.findings_resolved) open_findings.erase(key);
  for (const auto& path : opened)
    log.Warn("drift.open", {{"path", Utf8OrEscaped(path)}, {"epoch", epoch->id}});
  for (const auto& path : resolved)
    log.Info("drift.resolved", {{"path", Utf8OrEscaped(path)}, {"epoch", epoch->id}});
  for (const auto& v : batch.verdicts) {
    log.Info("verdict",
             {{"benchmark", v.benchmark}, {"recommendation", v.recommendation}, {"result", v.result}});
  }
  if (batch.cursor.entry_index != batch.expected_entry_index) {
    log.Debug("batch.commit", {{"epoch", epoch->id},
                               {"first", batch.expected_entry_index},
                               {"end", batch.cursor.entry_index},
                               {"findings", batch.findings_seen.size()}});
  }
  return Status::Ok();
}

void Daemon::Impl::PollOnce() {
  if (!prover) {
    OpenProver();
    if (!prover) {
      state = "tpm-unavailable";
      return;
    }
  }
  auto polled = prover->Poll();
  if (!polled) {
    log.Error("list.read_failed", {{"error", polled.error().ToString()}});
    OpenProver();
    return;
  }
  last_poll = *polled;
  const ima::PollResult& r = last_poll;
  metrics.entries_read.Increment(static_cast<double>(r.read_now));
  list_entries = r.entries;
  if (r.new_epoch) {
    log.Info("epoch.new_boot", {{"reason", r.epoch_reason}});
    untrusted = false;
    mismatch_reason.clear();
    new_boot = true;
    // The new list may be a new file: the prefix hash reads what the prover reads.
    if (auto file = env.OpenForRead(ima::LogTail::ListPath(config.securityfs))) list_file = std::move(*file);
    if (r.boot_aggregate) {
      const std::string aggregate =
          std::string(ima::Name(r.boot_aggregate->algo)) + ":" + r.boot_aggregate->hex();
      new_boot = false;
      if (Status s = StartEpoch(aggregate, true, r.epoch_reason); !s.ok()) {
        log.Error("store.epoch_failed", {{"error", s.error().ToString()}});
        epoch.reset();
      }
    } else {
      epoch.reset();
    }
  }
  if (!epoch && r.boot_aggregate) {
    if (Status s = ResolveEpoch(r); !s.ok()) {
      log.Error("store.epoch_failed", {{"error", s.error().ToString()}});
      return;
    }
  }
  if (r.tpm_unavailable) {
    metrics.CountTpmError(TpmErrorReason(r.tpm_error));
    if (state != "tpm-unavailable")
      log.Warn("tpm.unavailable", {{"error", r.tpm_error}, {"pending", r.pending}});
  } else if (state == "tpm-unavailable") {
    log.Info("tpm.available", {});
  }
  if (r.mismatch) {
    untrusted = true;
    untrusted_from = r.untrusted_from;
    mismatch_reason = r.mismatch_reason;
    log.Error("mismatch", {{"epoch", epoch ? epoch->id : 0},
                           {"untrusted_from", r.untrusted_from},
                           {"entries", r.entries},
                           {"reason", r.mismatch_reason}});
  }
  state = r.untrusted || untrusted ? "mismatch"
          : r.tpm_unavailable      ? "tpm-unavailable"
          : r.pending > 0          ? "pending"
                                   : "verified";
  if (state == "verified" || state == "pending") last_verified = NowSeconds();
  if (epoch) {
    const uint64_t processed_before = processed;
    Status s = ProcessProved(r);
    if (!s.ok()) {
      // The store refused the batch: start again from what it holds (as after a restart).
      log.Error("store.commit_failed", {{"error", s.error().ToString()}});
      epoch.reset();
      OpenProver();
    }
    // A catch-up held every entry it read until the TPM vouched for them (~300 bytes each) and
    // freed them at once: give those pages back, so the resident set follows the node's state
    // rather than its largest backlog.
    if (processed - processed_before >= kReleaseMemoryAfterEntries) malloc_trim(0);
  }
}

std::vector<comp::CheckOutcome> Daemon::Impl::Outcomes() const {
  std::vector<comp::CheckOutcome> out;
  for (size_t b = 0; b < assessment->benchmark_count(); ++b) out.push_back(Outcome(b));
  return out;
}

void Daemon::Impl::UpdateMetrics(const std::vector<comp::CheckOutcome>& outcomes) {
  const ima::PollResult& r = last_poll;
  metrics.SetState(state);
  metrics.entries_pending.Set(static_cast<double>(r.pending));
  metrics.boot_epoch.Set(epoch ? static_cast<double>(epoch->id) : 0);
  metrics.last_verification.Set(static_cast<double>(last_verified));
  metrics.untrusted_from.Set(untrusted ? static_cast<double>(untrusted_from) : -1);
  metrics.quote_age.Set(last_quote_at ? static_cast<double>(NowSeconds() - last_quote_at) : -1);
  metrics.evaluations.Set(static_cast<double>(assessment->evaluations()));
  metrics.drift_paths.Set(static_cast<double>(assessment->drift().size()));

  std::map<LabelValues, double> match;
  if (prover && !r.tpm_unavailable) {
    for (const auto& p : prover->proof_values()) {
      match[{std::to_string(p.pcr), std::string(ima::Name(p.bank))}] = untrusted ? 0 : 1;
    }
    for (ima::HashAlgo bank : r.banks) {
      for (uint32_t pcr : config.ima_pcrs)
        match.try_emplace({std::to_string(pcr), std::string(ima::Name(bank))}, untrusted ? 0 : 1);
    }
  }
  metrics.replay_match.Replace(match);

  std::map<LabelValues, double> drift;
  for (const auto& [path, d] : assessment->drift()) {
    for (const auto& [bench, rec] : assessment->RecommendationsReading(path)) drift[{bench, rec}] += 1;
  }
  metrics.drift_open.Replace(drift);
  std::map<LabelValues, double> on_disk;
  for (const auto& path : assessment->changed_on_disk()) {
    for (const auto& [bench, rec] : assessment->RecommendationsReading(path)) on_disk[{bench, rec}] = 1;
  }
  metrics.changed_on_disk.Replace(on_disk);

  std::map<LabelValues, double> recs, pass, evaluated;
  for (size_t b = 0; b < outcomes.size(); ++b) {
    const comp::CheckOutcome& o = outcomes[b];
    const std::string& bench = inputs->benchmarks[b].id;
    for (const auto& result : o.report.results) {
      recs[{bench, LevelLabel(result.level), std::string(comp::VerdictName(result.verdict))}] += 1;
    }
    pass[{bench}] = o.report.overall.pass;
    evaluated[{bench}] = o.report.overall.pass + o.report.overall.fail + o.report.overall.error;
  }
  metrics.recommendations.Replace(recs);
  metrics.compliance_pass.Replace(pass);
  metrics.compliance_evaluated.Replace(evaluated);
  if (auto size = store->SizeBytes()) metrics.store_size.Set(static_cast<double>(*size));
  ExportPolicyLoads();
}

void Daemon::Impl::ExportPolicyLoads() {
  auto latest = store->LatestPolicyLoad("loaded");
  auto counts = store->CountPolicyLoads();
  if (!latest.ok() || !counts.ok()) return;
  std::map<LabelValues, double> rules, when, digest_prefix, loads;
  if (*latest) {
    rules[{}] = static_cast<double>((*latest)->rules);
    when[{}] = static_cast<double>((*latest)->loaded_at);
    digest_prefix[{}] = static_cast<double>(DigestPrefix((*latest)->digest));
  }
  for (const auto& [result, n] : *counts) loads[{result}] = static_cast<double>(n);
  metrics.policy_rules.Replace(rules);
  metrics.policy_last_load.Replace(when);
  metrics.policy_digest_prefix.Replace(digest_prefix);
  metrics.policy_loads.Replace(loads);
}

void Daemon::Impl::Quote() {
  if (config.ak_context.empty() || !epoch || std::chrono::steady_clock::now() < next_quote) return;
  next_quote = std::chrono::steady_clock::now() + config.quote_interval;
  auto fail = [&](const Error& e) {
    metrics.CountQuote(false);
    metrics.CountTpmError("quote");
    log.Warn("quote.failed", {{"error", e.ToString()}});
  };
  auto context = env.ReadFile(config.ak_context, 1 << 20);
  if (!context) return fail(context.error());
  tpm::AttestOptions options;
  options.nonce.resize(32);
  if (RAND_bytes(options.nonce.data(), 32) != 1) return fail(Error(ErrorKind::kInternal, "no random nonce"));
  options.ak = tpm::AkLocation::Context(std::vector<uint8_t>(context->begin(), context->end()));
  options.banks = config.banks;
  options.list_path = ima::LogTail::ListPath(config.securityfs);
  options.include_list = false;
  options.hostname = HostName();
  options.node_name = config.node_name;
  auto device = tpm::Tpm::Open(config.tcti);
  if (!device) return fail(device.error());
  auto evidence = tpm::Attest(**device, env, options);
  device->reset();
  if (!evidence) return fail(evidence.error());
  const int64_t now = NowSeconds();
  Status saved = store->SaveQuote(epoch->id, options.nonce, tpm::EvidenceToJson(*evidence), now);
  if (!saved.ok()) return fail(saved.error());
  last_quote_at = now;
  metrics.CountQuote(true);
  metrics.last_quote.Set(static_cast<double>(now));
  log.Info("quote.stored", {{"epoch", epoch->id}, {"nonce", ToHex(options.nonce)}});
}

void Daemon::Impl::PollAudit() {
  if (!audit) return;
  auto events = audit->Poll();
  if (!events) {
    log.Warn("audit.read_failed", {{"error", events.error().ToString()}});
    return;
  }
  for (const audit::ImaAuditEvent& e : *events) {
    metrics.CountAuditEvent(std::string(audit::Name(e.kind)));
    if (!e.is_finding()) {
      log.Debug("audit.event",
                {{"type", std::string(audit::Name(e.kind))}, {"op", e.op}, {"cause", e.cause}});
      continue;
    }
    json detail = {{"type", audit::Name(e.kind)},
                   {"op", e.op},
                   {"cause", e.cause},
                   {"path", Utf8OrEscaped(e.path)},
                   {"comm", Utf8OrEscaped(e.comm)},
                   {"serial", e.serial},
                   {"time_ms", e.time_ms},
                   {"explanation", e.Explanation()}};
    audit_findings.push_back({.key = e.FindingKey(),
                              .subject = Utf8OrEscaped(e.path.empty() ? e.op : e.path),
                              .detail_json = detail.dump(-1, ' ', false, json::error_handler_t::replace)});
    log.Warn("audit.finding", {{"type", std::string(audit::Name(e.kind))},
                               {"op", e.op},
                               {"cause", e.cause},
                               {"path", Utf8OrEscaped(e.path)},
                               {"explanation", e.Explanation()}});
  }
}

void Daemon::Impl::PollWatcher(std::chrono::milliseconds timeout) {
  if (!watcher) {
    std::this_thread::sleep_for(timeout);
    return;
  }
  auto tags = watcher->Poll(timeout);
  if (!tags) {
    log.Warn("watch.failed", {{"error", tags.error().ToString()}});
    std::this_thread::sleep_for(timeout);
    return;
  }
  bool reload = false;
  for (const std::string& tag : *tags) {
    if (tag == kTagConfig || tag == kTagInputs) {
      reload = true;
    } else if (tag.rfind(kFilePrefix, 0) == 0) {
      const std::string path = tag.substr(std::string_view(kFilePrefix).size());
      assessment->MarkChangedOnDisk(path);
      log.Warn("file.changed_on_disk", {{"path", Utf8OrEscaped(path)}, {"awaiting", "measurement"}});
    }
  }
  if (reload) Reload("a watched file changed");
}

void Daemon::Impl::Reload(const std::string& why) {
  NotifySystemd("RELOADING=1");
  auto next = LoadConfig(env, config_path);
  std::shared_ptr<const AssessmentInputs> next_inputs;
  std::string next_token;
  std::optional<Error> failure;
  if (!next) {
    failure = next.error();
  } else {
    auto loaded = LoadInputs(env, *next);
    auto t = ReadToken(env, next->token_file);
    if (!loaded) {
      failure = loaded.error();
    } else if (!t) {
      failure = t.error();
    } else {
      next_inputs = std::move(*loaded);
      next_token = std::move(*t);
    }
  }
  if (failure) {
    metrics.CountReload(false);
    log.Error(
        "config.reload_failed",
        {{"why", why}, {"error", failure->ToString()}, {"action", "keeping the running configuration"}});
    NotifySystemd("READY=1");
    return;
  }
  for (auto [key, changed] :
       {std::pair<const char*, bool>{"securityfs", next->securityfs != config.securityfs},
        {"tpm.tcti", next->tcti != config.tcti},
        {"store.path", next->store_path != config.store_path},
        {"http.listen", next->http_listen != config.http_listen},
        {"sinks", SinkNames(next->sinks) != SinkNames(config.sinks)}}) {
    if (changed) log.Warn("config.needs_restart", {{"key", key}, {"action", "keeping the running value"}});
  }
  next->securityfs = config.securityfs;
  next->tcti = config.tcti;
  next->store_path = config.store_path;
  next->http_listen = config.http_listen;
  next->sinks = config.sinks;
  next->banks = config.banks;
  next->ima_pcrs = config.ima_pcrs;
  config = std::move(*next);
  log.set_level(config.log_level);
  log.set_format(config.log_format);
  inputs = next_inputs;
  assessment->SetInputs(inputs);
  {
    std::lock_guard lock(token_mutex);
    token = std::move(next_token);
  }
  Watch();
  metrics.CountReload(true);
  log.Info(
      "config.reloaded",
      {{"why", why}, {"benchmarks", inputs->benchmarks.size()}, {"allow_lists", inputs->allow_lists.size()}});
  NotifySystemd("READY=1");
}

void Daemon::Impl::ApplyRetention() {
  const int64_t now = NowSeconds();
  if (now - last_retention < kRetentionEverySeconds) return;
  last_retention = now;
  const RetentionConfig& r = config.retention;
  auto removed = store->ApplyRetention({.verdict_history = r.verdict_history.count(),
                                        .resolved_findings = r.resolved_findings.count(),
                                        .quotes = r.quotes.count(),
                                        .report_snapshots = r.report_snapshots,
                                        .delivered_outbox = r.delivered_outbox.count()},
                                       now);
  if (!removed) {
    log.Warn("store.retention_failed", {{"error", removed.error().ToString()}});
    return;
  }
  log.Debug("store.retention", {{"verdicts", removed->verdicts},
                                {"findings", removed->findings},
                                {"quotes", removed->quotes},
                                {"reports", removed->reports}});
}

void Daemon::Impl::Publish(const std::vector<comp::CheckOutcome>& outcomes) {
  Published next;
  next.ready = epoch.has_value();
  next.status = {{"state", state},
                 {"node", config.node_name},
                 {"epoch", epoch ? json(epoch->id) : json(nullptr)},
                 {"boot_aggregate", epoch ? json(epoch->boot_aggregate) : json(nullptr)},
                 {"entries", list_entries},
                 {"proved_entries", processed},
                 {"pending_entries", list_entries > processed && !untrusted ? list_entries - processed : 0},
                 {"last_verification", last_verified},
                 {"drift_open", assessment->drift().size()},
                 {"version", kVersion}};
  if (untrusted) next.status["mismatch"] = {{"untrusted_from", untrusted_from}, {"reason", mismatch_reason}};
  json changed = json::array();
  for (const auto& p : assessment->changed_on_disk()) changed.push_back(Utf8OrEscaped(p));
  next.status["changed_on_disk"] = changed;
  json benchmarks = json::array();
  for (size_t b = 0; b < outcomes.size(); ++b) {
    const comp::CheckOutcome& o = outcomes[b];
    const comp::Benchmark& bench = inputs->benchmarks[b];
    report::ReportDocument doc{.benchmark = &bench,
                               .outcome = &o,
                               .hostname = config.node_name,
                               .root = config.root,
                               .list = config.securityfs,
                               .pcr_source = "TPM " + config.tcti,
                               .generated_at = NowSeconds(),
                               .epoch = epoch ? std::optional(epoch->id) : std::nullopt,
                               .state = state};
    next.reports[bench.id] = report::ReportJson(doc);
    std::ostringstream text;
    report::WriteTextReport(text, doc);
    next.reports_text[bench.id] = text.str();
    benchmarks.push_back({{"id", bench.id},
                          {"pass", o.report.overall.pass},
                          {"fail", o.report.overall.fail},
                          {"error", o.report.overall.error}});
  }
  next.status["benchmarks"] = benchmarks;
  std::lock_guard lock(published_mutex);
  published = std::move(next);
}

http::Response Daemon::Impl::Handle(const http::Request& request) {
  if (request.method != "GET" && request.method != "HEAD") return http::JsonError(405, "only GET and HEAD");
  const std::string& path = request.path;
  if (path == "/healthz") {
    const int64_t quiet = NowSeconds() - last_loop.load();
    const int64_t limit =
        10 + 3 * std::chrono::duration_cast<std::chrono::seconds>(config.poll_interval).count();
    if (quiet > limit)
      return http::JsonError(503, "the poll loop has not run for " + std::to_string(quiet) + " s");
    return {.status = 200, .content_type = "text/plain", .body = "ok\n"};
  }
  std::string current_token;
  {
    std::lock_guard lock(token_mutex);
    current_token = token;
  }
  if (path == "/readyz") {
    std::lock_guard lock(published_mutex);
    if (!published.ready)
      return http::JsonError(503, "no boot epoch yet: the list or the TPM has not been read");
    return {.status = 200, .content_type = "text/plain", .body = "ready\n"};
  }
  if (path == "/metrics") {
    if (config.metrics_require_token) {
      if (auto denied = http::RequireBearer(request, current_token)) return *denied;
    }
    return {.status = 200,
            .content_type = "text/plain; version=0.0.4; charset=utf-8",
            .body = metrics.Exposition()};
  }
  if (path.rfind("/v1/", 0) != 0) return http::JsonError(404, "no such resource");
  if (current_token.empty()) return http::JsonError(401, "the API is disabled: http.token_file is not set");
  if (auto denied = http::RequireBearer(request, current_token)) return *denied;
  auto json_response = [](const json& j) {
    return http::Response{.status = 200,
                          .content_type = "application/json",
                          .body = j.dump(2, ' ', false, json::error_handler_t::replace) + "\n"};
  };
  if (path == "/v1/status") {
    std::lock_guard lock(published_mutex);
    return json_response(published.status);
  }
  if (path == "/v1/findings") {
    const bool all = request.Query("include_resolved").value_or("") == "true" ||
                     request.Query("include_resolved").value_or("") == "1";
    std::lock_guard lock(read_store_mutex);
    auto findings = read_store->Findings(all);
    if (!findings) return http::JsonError(500, findings.error().ToString());
    json out = json::array();
    for (const auto& f : *findings) {
      json detail = json::parse(f.detail_json, nullptr, false);
      out.push_back({{"id", f.id},
                     {"key", f.key},
                     {"subject", f.subject},
                     {"first_seen", f.first_seen},
                     {"last_seen", f.last_seen},
                     {"resolved_at", f.resolved_at ? json(*f.resolved_at) : json(nullptr)},
                     {"detail", detail}});
    }
    return json_response({{"findings", out}});
  }
  if (path == "/v1/evidence") {
    std::lock_guard lock(read_store_mutex);
    auto quote = read_store->LatestQuote();
    if (!quote) return http::JsonError(500, quote.error().ToString());
    if (!*quote)
      return http::JsonError(404, "no quote taken yet (tpm.ak_context not set, or the TPM did not answer)");
    return {.status = 200, .content_type = "application/json", .body = (*quote)->evidence_json};
  }
  const std::string reports = "/v1/reports/";
  if (path.rfind(reports, 0) == 0) {
    const std::string id = path.substr(reports.size());
    std::string format(request.Query("format").value_or(""));
    if (format.empty()) {
      const std::string accept(request.Header("accept").value_or(""));
      format = accept.find("text/plain") != std::string::npos ? "text" : "json";
    }
    json current;
    {
      std::lock_guard lock(published_mutex);
      auto it = published.reports.find(id);
      if (it == published.reports.end()) return http::JsonError(404, "no benchmark '" + id + "' is enabled");
      if (format == "json") return json_response(it->second);
      if (format == "text") {
        return {
            .status = 200, .content_type = "text/plain; charset=utf-8", .body = published.reports_text[id]};
      }
      current = it->second;
    }
    return RenderReport(std::move(current), id, format, request);
  }
  return http::JsonError(404, "no such resource");
}

// The published report with the store's quote of its epoch; OCSF activity against the stored
// snapshot before the latest, as `imawatch report --store` does.
http::Response Daemon::Impl::RenderReport(json current, const std::string& id, const std::string& format,
                                          const http::Request& request) {
  auto f = report::FormatFromName(format);
  if (!f)
    return http::JsonError(406, "format '" + format + "' is not available (" + report::FormatNames() + ")");
  std::optional<report::StoredReport> stored;
  {
    std::lock_guard lock(read_store_mutex);
    auto loaded = report::LoadStoredReport(*read_store, id);
    if (loaded) {
      stored = std::move(*loaded);
    } else if (loaded.error().kind() != ErrorKind::kNotFound) {
      return http::JsonError(500, loaded.error().ToString());
    }
  }
  if (stored && stored->quote) report::AttachQuote(current, *stored->quote);
  auto model = report::ReadReportModel(current, NowSeconds());
  if (!model) return http::JsonError(500, model.error().ToString());
  std::optional<report::ReportModel> before;
  if (stored && stored->previous) {
    auto prev = report::ReadReportModel(*stored->previous, NowSeconds());
    if (prev) before = std::move(*prev);
  }
  report::RenderOptions options{.ocsf_version = std::string(request.Query("ocsf_version").value_or("1.6")),
                                .previous = before ? &*before : nullptr};
  auto body = report::Render(*f, {.report = current, .model = *model}, options);
  if (!body) return http::JsonError(400, body.error().ToString());
  return {.status = 200, .content_type = std::string(report::ContentType(*f)), .body = std::move(*body)};
}

Daemon::Daemon(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Daemon::~Daemon() = default;

Result<std::unique_ptr<Daemon>> Daemon::Create(Env& env, std::string config_path, DaemonConfig config,
                                               Logger& log) {
  auto impl = std::make_unique<Impl>(env, std::move(config_path), std::move(config), log);
  if (Status s = impl->Open(); !s.ok()) return s.error();
  g_stop = false;
  g_reload = false;
  return std::unique_ptr<Daemon>(new Daemon(std::move(impl)));
}

void Daemon::RequestStop() { g_stop = true; }
void Daemon::RequestReload() { g_reload = true; }
uint16_t Daemon::http_port() const { return impl_->http ? impl_->http->port() : 0; }

int Daemon::Run() {
  Impl& d = *impl_;
  d.log.Info("daemon.start", {{"version", kVersion},
                              {"securityfs", d.config.securityfs},
                              {"tcti", d.config.tcti},
                              {"store", d.config.store_path},
                              {"benchmarks", d.inputs->benchmarks.size()}});
  bool notified = false;
  while (!g_stop) {
    const auto started = std::chrono::steady_clock::now();
    d.last_loop = NowSeconds();
    if (g_reload.exchange(false)) d.Reload("SIGHUP");
    d.PollAudit();
    d.PollOnce();
    d.Quote();
    d.ApplyRetention();
    const std::vector<comp::CheckOutcome> outcomes = d.Outcomes();
    d.UpdateMetrics(outcomes);
    d.Publish(outcomes);
    if (!notified && d.epoch) {
      NotifySystemd("READY=1");
      notified = true;
      d.log.Info("daemon.ready", {{"epoch", d.epoch->id}, {"state", d.state}});
    }
    // Sleep until the next poll, waking for file changes, a stop or a reload.
    const auto next = started + d.config.poll_interval;
    while (!g_stop && !g_reload) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= next) break;
      d.PollWatcher(std::min(std::chrono::duration_cast<std::chrono::milliseconds>(next - now),
                             std::chrono::milliseconds(100)));
    }
  }
  NotifySystemd("STOPPING=1");
  // What a sink has not confirmed stays in the outbox for the next start.
  for (auto& delivery : d.deliveries) delivery->Stop();
  if (d.http) d.http->Stop();
  d.log.Info("daemon.stop", {{"epoch", d.epoch ? d.epoch->id : 0}, {"processed", d.processed}});
  return 0;
}

}  // namespace imawatch::daemon
