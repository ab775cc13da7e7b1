#include "reporters/report/report_model.h"

#include <algorithm>
#include <ctime>
#include <stdexcept>

namespace imawatch::report {
namespace {

using nlohmann::json;

// A member that is missing or of the wrong type, with its JSON path ("/results/3/id").
constexpr int64_t kLatestTime = 253402300799;  // 9999-12-31T23:59:59Z

struct BadMember : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const json& Member(const json& obj, const std::string& path, const char* key) {
  if (!obj.is_object()) throw BadMember(path + ": not an object");
  auto it = obj.find(key);
  if (it == obj.end()) throw BadMember(path + "/" + key + ": missing");
  return *it;
}

std::string Str(const json& obj, const std::string& path, const char* key) {
  const json& v = Member(obj, path, key);
  if (!v.is_string()) throw BadMember(path + "/" + key + ": not a string");
  return v.get<std::string>();
}

std::string OptStr(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

template <typename T>
T Int(const json& obj, const std::string& path, const char* key) {
  const json& v = Member(obj, path, key);
  if (!v.is_number_integer()) throw BadMember(path + "/" + key + ": not an integer");
  return v.get<T>();
}

bool Bool(const json& obj, const std::string& path, const char* key) {
  const json& v = Member(obj, path, key);
  if (!v.is_boolean()) throw BadMember(path + "/" + key + ": not a boolean");
  return v.get<bool>();
}

const json& Array(const json& obj, const std::string& path, const char* key) {
  const json& v = Member(obj, path, key);
  if (!v.is_array()) throw BadMember(path + "/" + key + ": not an array");
  return v;
}

Score ReadScore(const json& j, const std::string& path) {
  Score s;
  s.pass = Int<int>(j, path, "pass");
  s.fail = Int<int>(j, path, "fail");
  s.error = Int<int>(j, path, "error");
  s.manual = Int<int>(j, path, "manual");
  s.not_applicable = Int<int>(j, path, "not_applicable");
  s.total = Int<int>(j, path, "total");
  const json& p = Member(j, path, "score_percent");
  if (p.is_number()) {
    s.percent = p.get<double>();
  } else if (!p.is_null()) {
    throw BadMember(path + "/score_percent: not a number or null");
  }
  return s;
}

EvidenceItem ReadEvidence(const json& j, const std::string& path) {
  EvidenceItem e;
  e.entry_index = Int<uint64_t>(j, path, "entry_index");
  e.path = Str(j, path, "path");
  e.digest = Str(j, path, "digest");
  e.template_name = Str(j, path, "template");
  e.pcr = Int<uint32_t>(j, path, "pcr");
  e.proof = Str(j, path, "proof");
  if (j.contains("uid")) e.uid = Int<uint32_t>(j, path, "uid");
  if (j.contains("gid")) e.gid = Int<uint32_t>(j, path, "gid");
  e.mode = OptStr(j, "mode");
  return e;
}

RecommendationItem ReadResult(const json& j, const std::string& path) {
  RecommendationItem r;
  r.id = Str(j, path, "id");
  r.title = Str(j, path, "title");
  r.section = Str(j, path, "section");
  const json& level = Member(j, path, "level");
  if (level.is_number_integer()) {
    r.level = level.get<int>();
  } else if (!level.is_null()) {
    throw BadMember(path + "/level: not an integer or null");
  }
  const json& profiles = Array(j, path, "profiles");
  for (size_t i = 0; i < profiles.size(); ++i) {
    if (!profiles[i].is_string()) throw BadMember(path + "/profiles/" + std::to_string(i) + ": not a string");
    r.profiles.push_back(profiles[i].get<std::string>());
  }
  r.assessment = Str(j, path, "assessment");
  r.result = Str(j, path, "result");
  static const char* const kResults[] = {"pass", "fail", "error", "manual", "not-applicable"};
  if (std::find(std::begin(kResults), std::end(kResults), r.result) == std::end(kResults)) {
    throw BadMember(path + "/result: unknown result '" + r.result + "'");
  }
  r.reason = Str(j, path, "reason");
  r.expected = OptStr(j, "expected");
  r.found = OptStr(j, "found");
  r.remediation = Str(j, path, "remediation");
  const json& evidence = Array(j, path, "evidence");
  for (size_t i = 0; i < evidence.size(); ++i) {
    r.evidence.push_back(ReadEvidence(evidence[i], path + "/evidence/" + std::to_string(i)));
  }
  return r;
}

ReportModel Read(const json& j, int64_t generated_at) {
  ReportModel m;
  const json& bench = Member(j, "", "benchmark");
  m.benchmark_id = Str(bench, "/benchmark", "id");
  m.benchmark_title = Str(bench, "/benchmark", "title");
  m.benchmark_version = Str(bench, "/benchmark", "version");
  const json& node = Member(j, "", "node");
  m.hostname = Str(node, "/node", "hostname");
  m.root = Str(node, "/node", "root");
  m.generated_at = j.contains("generated_at") ? Int<int64_t>(j, "", "generated_at") : generated_at;
  // Years 1970-9999: every format writes the time (OCSF in milliseconds) without overflow.
  if (m.generated_at < 0 || m.generated_at > kLatestTime) throw BadMember("/generated_at: out of range");
  if (j.contains("epoch")) m.epoch = Int<int64_t>(j, "", "epoch");
  const json& proof = Member(j, "", "proof");
  m.list = Str(proof, "/proof", "list");
  m.pcr_source = Str(proof, "/proof", "pcr_source");
  m.verified = Bool(proof, "/proof", "verified");
  m.entries = Int<uint64_t>(proof, "/proof", "entries");
  m.proved_entries = Int<uint64_t>(proof, "/proof", "proved_entries");
  m.not_verified_reason = OptStr(proof, "reason");
  m.state = OptStr(proof, "state");
  const json& pcrs = Array(proof, "/proof", "pcrs");
  for (size_t i = 0; i < pcrs.size(); ++i) {
    const std::string path = "/proof/pcrs/" + std::to_string(i);
    m.pcrs.push_back({.bank = Str(pcrs[i], path, "bank"),
                      .pcr = Int<uint32_t>(pcrs[i], path, "pcr"),
                      .value = Str(pcrs[i], path, "value"),
                      .matched = Bool(pcrs[i], path, "matched"),
                      .proved_entries = Int<uint64_t>(pcrs[i], path, "proved_entries")});
  }
  if (proof.contains("quote")) {
    const json& q = proof["quote"];
    m.quote = QuoteReference{.id = Int<int64_t>(q, "/proof/quote", "id"),
                             .taken_at = Int<int64_t>(q, "/proof/quote", "taken_at"),
                             .nonce = Str(q, "/proof/quote", "nonce")};
  }
  const json& appraisal = Member(j, "", "appraisal");
  m.allowed = Int<uint64_t>(appraisal, "/appraisal", "allowed");
  m.unknown = Int<uint64_t>(appraisal, "/appraisal", "unknown");
  m.changed = Int<uint64_t>(appraisal, "/appraisal", "changed");
  m.excluded = Int<uint64_t>(appraisal, "/appraisal", "excluded");
  m.violation = Int<uint64_t>(appraisal, "/appraisal", "violation");
  const json& results = Array(j, "", "results");
  for (size_t i = 0; i < results.size(); ++i) {
    m.results.push_back(ReadResult(results[i], "/results/" + std::to_string(i)));
  }
  const json& sections = Array(j, "", "sections");
  for (size_t i = 0; i < sections.size(); ++i) {
    const std::string path = "/sections/" + std::to_string(i);
    m.sections.push_back({.id = Str(sections[i], path, "id"),
                          .title = Str(sections[i], path, "title"),
                          .score = ReadScore(sections[i], path)});
  }
  m.overall = ReadScore(Member(j, "", "overall"), "/overall");
  m.compliant = Bool(j, "", "compliant");
  return m;
}

}  // namespace

const PcrProof* ReportModel::MainProof() const {
  const PcrProof* first = nullptr;
  for (const PcrProof& p : pcrs) {
    if (!p.matched) continue;
    if (p.bank == "sha256") return &p;
    if (!first) first = &p;
  }
  return first;
}

Result<ReportModel> ReadReportModel(const json& report, int64_t generated_at) {
  try {
    return Read(report, generated_at);
  } catch (const BadMember& e) {
    return InvalidInput(std::string("report JSON ") + e.what());
  } catch (const json::exception& e) {
    return InvalidInput(std::string("report JSON: ") + e.what());
  }
}

Result<ReportModel> ReadReportModel(const std::string& report_json, int64_t generated_at) {
  json j = json::parse(report_json, nullptr, false);
  if (j.is_discarded()) return InvalidInput("report JSON: not valid JSON");
  return ReadReportModel(j, generated_at);
}

std::string Rfc3339Utc(int64_t seconds) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace imawatch::report
