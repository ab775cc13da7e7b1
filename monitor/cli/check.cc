// imawatch check: proves a measurement list, appraises the proved entries against allow lists
// and certificates, and prints the verdicts of a CIS benchmark with the evidence they rest on.
#include "monitor/compliance/check.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "monitor/appraise/allow_list_io.h"
#include "monitor/base/utf8.h"
#include "monitor/cli/command.h"
#include "monitor/cli/json_output.h"
#include "monitor/cli/list_options.h"
#include "monitor/compliance/benchmark_catalog.h"
#include "monitor/ima/log_tail.h"

namespace imawatch::cli {
namespace {

using nlohmann::json;
namespace comp = imawatch::compliance;

struct CheckArgs {
  std::string benchmark;
  std::string benchmarks_dir = comp::DefaultBenchmarksDir();
  std::string log, pcrs, securityfs, tcti;
  std::vector<std::string> allowlists, certs;
  std::string root = "/";
  std::optional<int> level;
  std::string profile;
  std::vector<uint32_t> ima_pcrs = {10};
  bool measures_module_loads = false;
  bool json = false;
  unsigned threads = 0;
  ListOptions list;
};

std::string Hostname() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "";
  return Utf8OrEscaped(name);
}

std::string ScoreText(const comp::VerdictCounts& c) {
  auto score = c.ScorePercent();
  if (!score) return "-";
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << *score << " %";
  return out.str();
}

json ScoreJson(const comp::VerdictCounts& c) {
  auto score = c.ScorePercent();
  return {{"pass", c.pass},
          {"fail", c.fail},
          {"error", c.error},
          {"manual", c.manual},
          {"not_applicable", c.not_applicable},
          {"total", c.total()},
          {"score_percent", score ? json(std::round(*score * 10.0) / 10.0) : json(nullptr)}};
}

json EvidenceJson(const comp::EvidenceRef& e) {
  json j = {{"entry_index", e.entry_index},
            {"path", Utf8OrEscaped(e.path)},
            {"digest", e.digest},
            {"template", e.template_name},
            {"pcr", e.pcr},
            {"proof", Utf8OrEscaped(e.bank_proof)}};
  if (e.uid) j["uid"] = *e.uid;
  if (e.gid) j["gid"] = *e.gid;
  if (e.mode) {
    std::ostringstream mode;
    mode << std::oct << (*e.mode & 07777);
    j["mode"] = mode.str();
  }
  return j;
}

json ResultJson(const comp::RecommendationResult& r) {
  json checks = json::array();
  json evidence = json::array();
  for (const comp::CheckResult& c : r.checks) {
    json refs = json::array();
    for (const auto& e : c.evidence) {
      refs.push_back(EvidenceJson(e));
      evidence.push_back(EvidenceJson(e));
    }
    checks.push_back({{"kind", comp::CheckKindName(c.kind)},
                      {"result", comp::VerdictName(c.verdict)},
                      {"expected", Utf8OrEscaped(c.expected)},
                      {"found", Utf8OrEscaped(c.found)},
                      {"message", Utf8OrEscaped(c.message)},
                      {"notes", c.notes},
                      {"evidence", refs}});
  }
  json j = {{"id", r.id},
            {"title", r.title},
            {"section", r.section},
            {"level", r.level ? json(*r.level) : json(nullptr)},
            {"profiles", r.profiles},
            {"assessment", r.assessment == comp::Assessment::kAutomated ? "automated" : "manual"},
            {"result", comp::VerdictName(r.verdict)},
            {"reason", Utf8OrEscaped(r.reason)},
            {"evidence", evidence},
            {"checks", checks},
            {"remediation", r.remediation}};
  // expected/found of the deciding check (the first whose verdict is the recommendation's).
  for (const comp::CheckResult& c : r.checks) {
    if (c.verdict != r.verdict) continue;
    j["expected"] = Utf8OrEscaped(c.expected);
    j["found"] = Utf8OrEscaped(c.found);
    break;
  }
  if (!r.compensating_control.empty()) j["compensating_control"] = r.compensating_control;
  return j;
}

std::vector<std::string> NonCompliantIds(const comp::Report& report, comp::Verdict which) {
  std::vector<std::string> ids;
  for (const auto& r : report.results) {
    if (r.verdict == which) ids.push_back(r.id);
  }
  return ids;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

json OutcomeJson(const comp::Benchmark& b, const comp::CheckOutcome& o, const CheckArgs& args,
                 bool compliant) {
  json proofs = json::array();
  for (const auto& p : o.proofs) {
    proofs.push_back({{"bank", ima::Name(p.bank)},
                      {"pcr", p.pcr},
                      {"value", p.value},
                      {"matched", p.matched},
                      {"proved_entries", p.proved_entries}});
  }
  json results = json::array();
  for (const auto& r : o.report.results) results.push_back(ResultJson(r));
  json sections = json::array();
  for (const auto& s : o.report.sections) {
    json section = ScoreJson(s.counts);
    section["id"] = s.id;
    section["title"] = s.title;
    sections.push_back(section);
  }
  json proof = {{"list", Utf8OrEscaped(args.securityfs.empty() ? args.log : args.securityfs)},
                {"pcr_source", Utf8OrEscaped(args.tcti.empty() ? args.pcrs : "TPM " + args.tcti)},
                {"verified", o.verified},
                {"entries", o.verify.entries},
                {"proved_entries", o.proved_entries},
                {"pcrs", proofs}};
  if (!o.verified) proof["reason"] = std::string(comp::kListNotVerified) + ": " + o.not_verified_reason;
  return {{"benchmark", {{"id", b.id}, {"title", b.title}, {"version", b.version}}},
          {"node", {{"hostname", Hostname()}, {"root", Utf8OrEscaped(args.root)}}},
          {"proof", proof},
          {"appraisal",
           {{"allowed", o.appraisals.allowed},
            {"unknown", o.appraisals.unknown},
            {"changed", o.appraisals.changed},
            {"excluded", o.appraisals.excluded},
            {"violation", o.appraisals.violation}}},
          {"results", results},
          {"sections", sections},
          {"overall", ScoreJson(o.report.overall)},
          {"compliant", compliant},
          {"failing", NonCompliantIds(o.report, comp::Verdict::kFail)},
          {"errors", NonCompliantIds(o.report, comp::Verdict::kError)}};
}

std::string Counts(const comp::VerdictCounts& c) {
  std::ostringstream out;
  out << c.pass << " pass, " << c.fail << " fail, " << c.error << " error, " << c.manual << " manual, "
      << c.not_applicable << " not-applicable";
  return out.str();
}

// Benchmark order; every result that is not a pass gets its reason on the next line.
void PrintText(const comp::Benchmark& b, const comp::CheckOutcome& o, const CheckArgs& args, bool compliant) {
  std::ostream& out = std::cout;
  out << b.title << " v" << b.version << " [" << b.id << "]\n";
  out << "node: " << Hostname() << " (files under " << args.root << ")\n";
  out << "list: " << (args.securityfs.empty() ? args.log : args.securityfs) << ": ";
  if (o.verified) {
    out << "VERIFIED, " << o.proved_entries << " of " << o.verify.entries << " entries proved";
    for (const auto& p : o.proofs) {
      if (p.matched)
        out << "; " << ima::Name(p.bank) << " PCR " << p.pcr << " = " << p.value.substr(0, 16) << "…";
    }
    out << "\n";
  } else {
    out << "NOT VERIFIED (" << o.not_verified_reason << "): no entry is used as evidence\n";
  }
  out << "appraisal: " << o.appraisals.allowed << " allowed, " << o.appraisals.unknown << " unknown, "
      << o.appraisals.changed << " changed, " << o.appraisals.excluded << " excluded, "
      << o.appraisals.violation << " violations\n\n";
  out << std::left << std::setw(10) << "ID" << std::setw(16) << "RESULT" << std::setw(6) << "LEVEL"
      << "TITLE\n";
  for (const auto& r : o.report.results) {
    out << std::left << std::setw(10) << r.id << std::setw(16) << comp::VerdictName(r.verdict) << std::setw(6)
        << (r.level ? std::to_string(*r.level) : "-") << r.title << "\n";
    if (r.verdict != comp::Verdict::kPass && !r.reason.empty()) out << "          " << r.reason << "\n";
  }
  out << "\nsections:\n";
  for (const auto& s : o.report.sections) {
    out << "  " << std::left << std::setw(8) << s.id << std::setw(50) << s.title.substr(0, 48) << std::right
        << std::setw(8) << ScoreText(s.counts) << "  (" << Counts(s.counts) << ")\n";
  }
  out << "overall: " << ScoreText(o.report.overall) << " (" << Counts(o.report.overall) << ")\n";
  out << "summary: " << o.report.results.size() << " recommendations, " << o.report.overall.pass << " pass, "
      << o.report.overall.fail << " fail, " << o.report.overall.error << " error: ";
  if (compliant) {
    out << "COMPLIANT\n";
  } else {
    out << "NOT COMPLIANT";
    auto failing = NonCompliantIds(o.report, comp::Verdict::kFail);
    auto errors = NonCompliantIds(o.report, comp::Verdict::kError);
    if (!failing.empty()) out << "; failing: " << Join(failing);
    if (!errors.empty()) out << "; no usable evidence: " << Join(errors);
    out << "\n";
  }
}

int Run(const CheckArgs& args) {
  const bool live = !args.securityfs.empty() || !args.tcti.empty();
  if (live ? (args.securityfs.empty() || args.tcti.empty() || !args.log.empty() || !args.pcrs.empty())
           : (args.log.empty() || args.pcrs.empty())) {
    return ReportInputError("check", InvalidInput("give --log with --pcrs, or --securityfs with --tcti"));
  }
  auto benchmark = comp::FindBenchmark(Env::Default(), args.benchmark, args.benchmarks_dir);
  if (!benchmark) return ReportInputError("check", benchmark.error());
  if (!args.profile.empty() && std::none_of(benchmark->profiles.begin(), benchmark->profiles.end(),
                                            [&](const comp::Profile& p) { return p.id == args.profile; })) {
    return ReportInputError(
        "check", InvalidInput("benchmark " + benchmark->id + " has no profile '" + args.profile + "'"));
  }

  comp::CheckInputs in;
  in.reader = args.list.reader();
  in.ima_pcrs = args.ima_pcrs;
  in.root = args.root;
  in.measures_module_loads = args.measures_module_loads;
  in.max_level = args.level;
  if (!args.profile.empty()) in.profile = args.profile;
  in.threads = args.threads;
  for (const auto& path : args.allowlists) {
    auto list = appraise::LoadAllowList(Env::Default(), path);
    if (!list) return ReportInputError("check", list.error().WithSource(path));
    in.allow_lists.push_back(std::make_shared<const appraise::AllowList>(std::move(*list)));
  }
  if (!args.certs.empty()) {
    auto keys = std::make_shared<appraise::TrustedKeys>();
    for (const auto& path : args.certs) {
      Status loaded = keys->LoadFile(Env::Default(), path);
      if (!loaded.ok()) return ReportInputError("check", Error(loaded.error()).WithSource(path));
    }
    in.keys = std::move(keys);
  }
  std::optional<comp::CheckOutcome> outcome;
  if (live) {
    in.reading_source = "TPM " + args.tcti;
    in.list_path = ima::LogTail::ListPath(args.securityfs);
    // As verify --securityfs does: the PCRs are read before the list (the kernel appends before
    // it extends), entries they do not cover get new readings for up to a second, and entries
    // that were in the list before a later reading and stay uncovered were never extended.
    uint64_t listed_first = 0;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    for (int attempt = 0;; ++attempt) {
      auto reading = ReadTpmPcrs(args.tcti, args.ima_pcrs);
      if (!reading) return ReportInputError("check", reading.error());
      in.reading = std::move(*reading);
      auto checked = comp::RunCheck(Env::Default(), *benchmark, in);
      if (!checked) return ReportInputError("check", checked.error());
      outcome = std::move(*checked);
      const uint64_t proved = outcome->verify.proved_entries();
      if (attempt == 0) listed_first = outcome->verify.entries;
      if (!outcome->verified || proved >= outcome->verify.entries) break;
      if (attempt > 0 && proved >= listed_first) break;
      if (std::chrono::steady_clock::now() >= give_up) {
        comp::MarkListNotVerified(
            comp::FilterBenchmark(*benchmark, in.max_level, in.profile),
            "entries " + std::to_string(proved) + ".." + std::to_string(listed_first - 1) +
                " were in the list before the PCRs were read again, and readings for 1 s do not cover them: "
                "appended without extending the TPM",
            *outcome);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  } else {
    auto reading = ima::LoadPcrValues(Env::Default(), args.pcrs);
    if (!reading) return ReportInputError("check", reading.error());
    in.reading = std::move(*reading);
    in.reading_source = args.pcrs;
    in.list_path = args.log;
    auto checked = comp::RunCheck(Env::Default(), *benchmark, in);
    if (!checked) return ReportInputError("check", checked.error());
    outcome = std::move(*checked);
  }

  const bool compliant = std::none_of(outcome->report.results.begin(), outcome->report.results.end(),
                                      [](const auto& r) { return comp::IsNonCompliant(r); });
  if (args.json) {
    std::cout << JsonText(OutcomeJson(*benchmark, *outcome, args, compliant)) << "\n";
  } else {
    PrintText(*benchmark, *outcome, args, compliant);
  }
  return compliant ? kExitOk : kExitFailed;
}

const CommandRegistration kCheck("check", [](CLI::App& root, int& exit_code) {
  auto args = std::make_shared<CheckArgs>();
  auto* cmd = root.add_subcommand(
      "check",
      "Prove a measurement list, appraise it, and print the verdicts of a CIS benchmark with their evidence");
  cmd->footer(
      "Exit status: 0 every recommendation is pass, manual or not-applicable; 1 any recommendation is fail "
      "or "
      "error (its evidence is missing, drifted, or the list is not verified: not proved compliant is not "
      "compliant); 2 usage or input error.\nOnly entries inside the prefix the PCR reading proves are "
      "evidence.");
  cmd->add_option("--benchmark", args->benchmark, "Benchmark id (e.g. cis-kubernetes-v1.7.1) or YAML file")
      ->required();
  cmd->add_option("--benchmarks-dir", args->benchmarks_dir, "Where benchmarks are found by id")
      ->capture_default_str();
  cmd->add_option("--log", args->log, "Measurement list (binary or ascii), proved against --pcrs");
  cmd->add_option("--pcrs", args->pcrs, "PCR values (same forms as imawatch verify --pcrs)");
  cmd->add_option("--securityfs", args->securityfs,
                  "Instead of --log/--pcrs: a securityfs root, proved against the TPM at --tcti");
  cmd->add_option("--tcti", args->tcti, "The TPM, e.g. device:/dev/tpmrm0 or swtpm:host=127.0.0.1,port=2321");
  cmd->add_option("--allowlist", args->allowlists,
                  "Allow list (native, binary, Keylime policy or sha256sum output); repeatable");
  cmd->add_option("--cert", args->certs,
                  "X.509 certificate (DER or PEM) trusted for IMA signatures; repeatable");
  cmd->add_option("--root", args->root, "Where the node's files are read (attested content)")
      ->capture_default_str();
  cmd->add_option("--level", args->level, "Only recommendations of this level and below (1 or 2)")
      ->check(CLI::Range(1, 2));
  cmd->add_option("--profile", args->profile, "Only recommendations of this profile (benchmark profile id)");
  cmd->add_option("--ima-pcrs", args->ima_pcrs, "PCRs the IMA policy extends")
      ->delimiter(',')
      ->check(CLI::Range(0, 23));
  cmd->add_flag("--measures-module-loads", args->measures_module_loads,
                "The IMA policy in effect measures MODULE_CHECK: a module without an entry was not loaded "
                "(otherwise module-not-loaded checks are errors)");
  cmd->add_option("--threads", args->threads, "Hashing threads for the replay (default: one per CPU)");
  cmd->add_flag("--json", args->json, "Machine-readable output");
  AddListOptions(cmd, args->list);
  cmd->callback([args, &exit_code] { exit_code = Run(*args); });
});

}  // namespace
}  // namespace imawatch::cli
