// Store: the policy_loads table (schema step 3).
#include "monitor/store/store.h"

namespace imawatch::store {

Status Store::RecordPolicyLoad(const PolicyLoad& load) {
  Result<Statement> stmt = db_.Prepare(
      "INSERT INTO policy_loads (loaded_at, outcome, source, digest, rules, kernel, policy, kernel_message) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!stmt.ok()) return stmt.error();
  return stmt->Bind(1, load.loaded_at)
      .Bind(2, load.outcome)
      .Bind(3, load.source)
      .Bind(4, load.digest)
      .Bind(5, load.rules)
      .Bind(6, load.kernel)
      .Bind(7, load.policy)
      .Bind(8, load.kernel_message)
      .Run();
}

Result<std::optional<PolicyLoad>> Store::LatestPolicyLoad(std::string_view outcome) {
  Result<Statement> stmt = db_.Prepare(
      "SELECT id, loaded_at, outcome, source, digest, rules, kernel, policy, kernel_message FROM "
      "policy_loads "
      "WHERE outcome = ?1 ORDER BY id DESC LIMIT 1");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, outcome);
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<PolicyLoad>();
  return std::optional<PolicyLoad>(PolicyLoad{.id = stmt->Int(0),
                                              .loaded_at = stmt->Int(1),
                                              .outcome = stmt->Text(2),
                                              .source = stmt->Text(3),
                                              .digest = stmt->Text(4),
                                              .rules = stmt->Int(5),
                                              .kernel = stmt->Text(6),
                                              .policy = stmt->Text(7),
                                              .kernel_message = stmt->Text(8)});
}

Result<std::map<std::string, uint64_t>> Store::CountPolicyLoads() {
  Result<Statement> stmt = db_.Prepare("SELECT outcome, count(*) FROM policy_loads GROUP BY outcome");
  if (!stmt.ok()) return stmt.error();
  std::map<std::string, uint64_t> out;
  while (true) {
    Result<bool> row = stmt->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out[stmt->Text(0)] = static_cast<uint64_t>(stmt->Int(1));
  }
  return out;
}

}  // namespace imawatch::store
