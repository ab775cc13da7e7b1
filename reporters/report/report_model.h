// The one report model every format renders: a report JSON (ReportJson of a ReportDocument, or a
// snapshot the daemon's store kept) read back into plain values. Reading checks the document,
// so a damaged snapshot is an error with its JSON path, never a crash in a renderer.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "monitor/base/result.h"
#include "reporters/report/report_document.h"

namespace imawatch::report {

struct EvidenceItem {
  uint64_t entry_index = 0;
  std::string path;
  std::string digest;  // "sha256:<hex>"
  std::string template_name;
  uint32_t pcr = 10;
  std::string proof;  // which bank/PCR replay proves the entry
  std::optional<uint32_t> uid, gid;
  std::string mode;  // octal, empty when the template records none
};

struct RecommendationItem {
  std::string id, title, section;
  std::optional<int> level;
  std::vector<std::string> profiles;
  std::string assessment;  // automated | manual
  std::string result;      // pass | fail | error | manual | not-applicable
  std::string reason;
  std::string expected, found;  // of the deciding check; may be empty
  std::string remediation;
  std::vector<EvidenceItem> evidence;

  bool Unsatisfied() const { return result == "fail" || result == "error"; }
  bool Evaluated() const { return result == "pass" || Unsatisfied(); }
};

struct Score {
  int pass = 0, fail = 0, error = 0, manual = 0, not_applicable = 0, total = 0;
  std::optional<double> percent;  // pass / (pass + fail + error); none when nothing is scored
};

struct SectionScore {
  std::string id, title;
  Score score;
};

struct PcrProof {
  std::string bank;
  uint32_t pcr = 10;
  std::string value;
  bool matched = false;
  uint64_t proved_entries = 0;
};

struct ReportModel {
  std::string benchmark_id, benchmark_title, benchmark_version;
  std::string hostname, root;
  int64_t generated_at = 0;      // seconds since the epoch, UTC
  std::optional<int64_t> epoch;  // the store's boot epoch
  std::string state;             // daemon state when the report was taken; may be empty
  // The proof: the list, where the PCR values came from, the replayed PCRs, the quote.
  std::string list, pcr_source;
  bool verified = false;
  uint64_t entries = 0, proved_entries = 0;
  std::string not_verified_reason;
  std::vector<PcrProof> pcrs;
  std::optional<QuoteReference> quote;
  uint64_t allowed = 0, unknown = 0, changed = 0, excluded = 0, violation = 0;  // appraisal counts
  std::vector<RecommendationItem> results;                                      // benchmark order
  std::vector<SectionScore> sections;
  Score overall;
  bool compliant = false;

  // The PCR replay the report leans on: the first matched one, sha256 first.
  const PcrProof* MainProof() const;
};

// generated_at is used when the document has none (a one-shot check's report).
Result<ReportModel> ReadReportModel(const nlohmann::json& report, int64_t generated_at);
Result<ReportModel> ReadReportModel(const std::string& report_json, int64_t generated_at);

// The terminal rendering `imawatch check` prints: benchmark order, the reason under each result
// that is not a pass.
void WriteTextReport(std::ostream& out, const ReportModel& model);

// "2026-11-23T19:12:51Z"
std::string Rfc3339Utc(int64_t seconds);

}  // namespace imawatch::report
