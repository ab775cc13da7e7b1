// Validating documents with ajv (ajv-cli 5 + ajv-formats 3, node_modules at the repository root,
// installed by scripts/bootstrap) against the schemas of doc/schemas and ../shared/reference.
#pragma once

#include <string>
#include <vector>

#include "tests/testing/paths.h"

namespace imawatch::testing {

struct AjvSchema {
  std::string schema;
  std::vector<std::string> refs;  // schemas it references by $id
};

inline std::string AjvBinary() { return SourceDir() + "/node_modules/.bin/ajv"; }

inline AjvSchema OscalSchema() {
  return {SharedPath("reference/schemas/oscal/oscal_assessment-results_schema-1.2.1.json"), {}};
}
// version "1.6" or "1.1": our array wrapper over the generated class schema.
inline AjvSchema OcsfSchema(const std::string& version) {
  const std::string generated = version == "1.1" ? "ocsf-v1.1.0-compliance_finding.schema.json"
                                                 : "ocsf-1.6.0-compliance_finding.schema.json";
  return {SourceDir() + "/doc/schemas/ocsf-" + version + "-findings.schema.json",
          {SharedPath("reference/schemas/ocsf/" + generated)}};
}
inline AjvSchema AsffSchema() {
  return {SourceDir() + "/doc/schemas/asff-batches.schema.json",
          {SharedPath("reference/schemas/asff/asff-AwsSecurityFinding.schema.json")}};
}
inline AjvSchema ReportSchema() { return {SourceDir() + "/doc/schemas/report.schema.json", {}}; }

// ajv validate --spec=draft7 -c ajv-formats -s SCHEMA [-r REF] -d DOC --strict=false --all-errors
// (every schema here is draft-07; strict mode would reject the generated schemas' keywords).
inline CommandResult AjvValidate(const AjvSchema& s, const std::string& doc) {
  std::vector<std::string> argv = {AjvBinary(),   "validate", "--spec=draft7", "-c",
                                   "ajv-formats", "-s",       s.schema};
  for (const auto& r : s.refs) {
    argv.push_back("-r");
    argv.push_back(r);
  }
  argv.insert(argv.end(), {"-d", doc, "--strict=false", "--all-errors"});
  return RunCommand(argv);
}

}  // namespace imawatch::testing
