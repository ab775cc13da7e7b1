#include "monitor/compliance/benchmark_loader.h"

#include <gtest/gtest.h>

#include <set>

#include "tests/testing/paths.h"

namespace imawatch::compliance {
namespace {

// A valid minimal benchmark; tests append one recommendation body after "recommendations:".
const std::string kHead = R"(benchmark:
  id: test-bench
  title: Test
  version: "1"
profiles:
  - id: p1
    title: Profile one
    level: 1
sections:
  - id: "1"
    title: One
recommendations:
)";

const std::string kGoodRec = R"(  - id: 1.1
    title: A file is measured
    section: "1"
    profiles: [p1]
    assessment: automated
    checks:
      - kind: measured
        files: [/usr/sbin/cron]
)";

Error LoadError(const std::string& text) {
  auto b = ParseBenchmark(text, "bench.yaml");
  EXPECT_FALSE(b.ok()) << "loaded unexpectedly";
  return b.ok() ? Error(ErrorKind::kInternal, "no error") : b.error();
}

void ExpectAt(const Error& e, uint32_t line, uint32_t column, const std::string& fragment) {
  EXPECT_EQ(e.where().source, "bench.yaml");
  EXPECT_EQ(e.where().line, line) << e.ToString();
  EXPECT_EQ(e.where().column, column) << e.ToString();
  EXPECT_NE(e.message().find(fragment), std::string::npos) << e.ToString();
}

TEST(BenchmarkLoader, LoadsAMinimalBenchmark) {
  auto b = ParseBenchmark(kHead + kGoodRec, "bench.yaml");
  ASSERT_TRUE(b.ok()) << b.error().ToString();
  ASSERT_EQ(b->recommendations.size(), 1u);
  const Recommendation& r = b->recommendations[0];
  EXPECT_EQ(r.id, "1.1");
  EXPECT_EQ(r.where.line, 13u);
  ASSERT_EQ(r.checks.size(), 1u);
  EXPECT_EQ(r.checks[0].kind, CheckKind::kMeasured);
  EXPECT_EQ(r.checks[0].files, std::vector<std::string>{"/usr/sbin/cron"});
}

TEST(BenchmarkLoader, MalformedYamlHasFileLineAndColumn) {
  Error e = LoadError(kHead + "  - id: 1.1\n    title: [unclosed\n");
  EXPECT_EQ(e.where().source, "bench.yaml");
  ASSERT_TRUE(e.where().line.has_value());
  ASSERT_TRUE(e.where().column.has_value());
  EXPECT_GE(*e.where().line, 14u);
  EXPECT_NE(e.message().find("malformed YAML"), std::string::npos);
  EXPECT_NE(e.ToString().find("bench.yaml:"), std::string::npos);

  Error tab = LoadError("benchmark:\n\tid: x\n");
  EXPECT_EQ(tab.where().line, 2u) << tab.ToString();
  EXPECT_NE(tab.message().find("malformed YAML"), std::string::npos);
}

TEST(BenchmarkLoader, UnknownKeyIsRefusedWithItsPosition) {
  std::string text = kHead + kGoodRec + "        mode: 0600\n";
  ExpectAt(LoadError(text), 21, 9, "unknown key 'mode' in a measured check");
  ExpectAt(LoadError(kHead + "  - id: 1.1\n    titel: x\n"), 14, 5, "unknown key 'titel'");
  std::string header = kHead + kGoodRec;
  header.insert(header.find("profiles:"), "  colour: d\n");
  ExpectAt(LoadError(header), 5, 3, "unknown key 'colour' in benchmark");
}

TEST(BenchmarkLoader, WrongTypesAreRefused) {
  std::string profiles_scalar = kHead + kGoodRec;
  profiles_scalar.replace(profiles_scalar.find("profiles: [p1]"), 14, "profiles: {a: b}");
  ExpectAt(LoadError(profiles_scalar), 16, 15, "'profiles' must be a string or a non-empty sequence");
  std::string level = kHead + kGoodRec;
  level.insert(level.find("    profiles: [p1]"), "    level: high\n");
  ExpectAt(LoadError(level), 16, 12, "'level' must be a level number");
  ExpectAt(
      LoadError("recommendations: 3\nbenchmark: {id: a, title: b, version: c}\nprofiles: [{id: p, title: "
                "t}]\nsections: [{id: '1', title: s}]\n"),
      1, 18, "'recommendations' must be a non-empty sequence");
}

TEST(BenchmarkLoader, UnknownCheckKindIsRefused) {
  std::string text = kHead + kGoodRec;
  text.replace(text.find("kind: measured"), 14, "kind: measurd");
  ExpectAt(LoadError(text), 19, 15, "unknown check kind 'measurd'");
}

TEST(BenchmarkLoader, DuplicatesAreRefused) {
  std::string dup_id = kHead + kGoodRec + kGoodRec;
  ExpectAt(LoadError(dup_id), 21, 9, "duplicate recommendation id '1.1' (first defined at line 13)");
  std::string dup_key = kHead + kGoodRec;
  dup_key.insert(dup_key.find("    section:"), "    title: again\n");
  ExpectAt(LoadError(dup_key), 15, 5, "duplicate key 'title'");
}

TEST(BenchmarkLoader, ReferencesMustBeDeclared) {
  std::string section = kHead + kGoodRec;
  section.replace(section.find("section: \"1\""), 12, "section: \"2\"");
  ExpectAt(LoadError(section), 15, 14, "section '2' is not declared");
  std::string profile = kHead + kGoodRec;
  profile.replace(profile.find("[p1]"), 4, "[p9]");
  ExpectAt(LoadError(profile), 16, 15, "profile 'p9' is not declared");
}

TEST(BenchmarkLoader, CheckFieldsAreValidated) {
  auto with_check = [](const std::string& check) {
    return kHead +
           "  - id: 1.1\n    title: t\n    section: \"1\"\n    profiles: [p1]\n    assessment: manual\n"
           "    checks:\n" +
           check;
  };
  ExpectAt(LoadError(with_check("      - kind: config-value\n        format: lines\n        files: [/etc/x]\n"
                                "        key: '(unclosed'\n        expect: {set: true}\n")),
           22, 14, "invalid regular expression");
  ExpectAt(LoadError(with_check("      - kind: config-value\n        format: ini\n        files: [/etc/x]\n"
                                "        key: a\n        expect: {set: true}\n")),
           20, 17, "unknown config format 'ini'");
  ExpectAt(LoadError(with_check("      - kind: metadata\n        files: [etc/x]\n        owner: root\n")), 20,
           16, "must be an absolute path");
  ExpectAt(LoadError(with_check("      - kind: metadata\n        files: [/etc/x]\n        mode_max: rw\n")),
           21, 19, "'mode_max' must be an octal mode");
  ExpectAt(
      LoadError(with_check("      - kind: config-value\n        format: sysctl\n        files: [/etc/x]\n"
                           "        key: a\n        type: int\n        expect: {max: lots}\n")),
      24, 23, "'max' is not a valid int");
  ExpectAt(LoadError(with_check("      - kind: manual\n        source: hunch\n        reason: r\n")), 20, 17,
           "unknown evidence source 'hunch'");
  ExpectAt(
      LoadError(with_check("      - kind: config-value\n        format: sysctl\n        files: [/etc/x]\n"
                           "        key: a\n        flag: --a\n        expect: {set: true}\n")),
      23, 15, "'flag' is only for format kubelet");
}

TEST(BenchmarkLoader, LoadsTheShippedBenchmarks) {
  auto k8s = LoadBenchmark(Env::Default(), testing::SourceDir() + "/benchmarks/cis-kubernetes-v1.7.1.yaml");
  ASSERT_TRUE(k8s.ok()) << k8s.error().ToString();
  EXPECT_EQ(k8s->id, "cis-kubernetes-v1.7.1");
  ASSERT_EQ(k8s->recommendations.size(), 23u);
  std::set<std::string> ids;
  for (const auto& r : k8s->recommendations) {
    ids.insert(r.id);
    EXPECT_FALSE(r.remediation.empty()) << r.id;
    EXPECT_TRUE(r.level) << r.id;
    EXPECT_NE(r.checks.front().kind, CheckKind::kManual) << r.id;
  }
  for (int i = 1; i <= 10; ++i) EXPECT_TRUE(ids.count("4.1." + std::to_string(i))) << i;
  for (int i = 1; i <= 13; ++i) EXPECT_TRUE(ids.count("4.2." + std::to_string(i))) << i;
  EXPECT_EQ(k8s->Find("4.2.8")->level, 2);

  auto ubuntu =
      LoadBenchmark(Env::Default(), testing::SourceDir() + "/benchmarks/cis-ubuntu-20.04-v2.0.1.yaml");
  ASSERT_TRUE(ubuntu.ok()) << ubuntu.error().ToString();
  EXPECT_EQ(ubuntu->recommendations.size(), 285u);
  // Every recommendation of the reference list is present (none dropped), same profiles.
  std::string reference = testing::ReadFileOrDie(
      testing::SharedPath("reference/cis/ubuntu2004_cis_v2.0.1_recommendations_ima.csv"));
  size_t pos = reference.find('\n') + 1, rows = 0;
  while (pos < reference.size()) {
    size_t comma = reference.find(',', pos);
    std::string id = reference.substr(pos, comma - pos);
    EXPECT_NE(ubuntu->Find(id), nullptr) << id;
    ++rows;
    pos = reference.find('\n', pos) + 1;
    if (pos == 0) break;
  }
  EXPECT_EQ(rows, 285u);
  // The file-integrity/drift subset carries checks IMA evidence can decide.
  for (const char* id : {"1.1.1.1", "1.1.10",   "1.2.1",   "1.2.2", "1.4.1", "1.4.2",  "1.5.2",  "1.5.3",
                         "3.2.2",   "3.3.8",    "4.1.2",   "4.2.1", "4.2.7", "4.2.13", "4.2.22", "5.2.2.2",
                         "5.2.3.1", "5.2.3.20", "5.2.4.5", "6.1.1", "6.1.5", "6.1.8"}) {
    const Recommendation* r = ubuntu->Find(id);
    ASSERT_NE(r, nullptr) << id;
    EXPECT_NE(r->checks.front().kind, CheckKind::kManual) << id;
  }
  EXPECT_FALSE(ubuntu->Find("1.2.1")->compensating_control.empty());
  const Recommendation* packages = ubuntu->Find("2.2.1");
  ASSERT_EQ(packages->checks.size(), 1u);
  EXPECT_EQ(packages->checks[0].kind, CheckKind::kManual);
  EXPECT_EQ(packages->checks[0].source, "package-database");
}

TEST(BenchmarkLoader, MissingFileIsAnError) {
  auto b = LoadBenchmark(Env::Default(), "/nonexistent/bench.yaml");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().kind(), ErrorKind::kNotFound);
}

}  // namespace
}  // namespace imawatch::compliance
