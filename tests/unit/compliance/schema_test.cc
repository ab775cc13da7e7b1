// benchmarks/schema/benchmark.schema.json and the loader must accept the same keys: this keeps
// the published schema honest as the format grows.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "monitor/compliance/benchmark_loader.h"
#include "tests/testing/paths.h"

namespace imawatch::compliance {
namespace {

using nlohmann::json;

json Schema() {
  return json::parse(imawatch::testing::ReadFileOrDie(imawatch::testing::SourceDir() +
                                                      "/benchmarks/schema/benchmark.schema.json"));
}

TEST(BenchmarkSchema, CheckKindsAndTheirKeysMatchTheLoader) {
  json schema = Schema();
  const json& defs = schema["definitions"];
  std::set<std::string> kinds_in_schema;
  for (const json& ref : defs["check"]["oneOf"]) {
    std::string name = ref["$ref"].get<std::string>().substr(std::string("#/definitions/").size());
    const json& def = defs[name];
    std::string kind = def["properties"]["kind"]["const"];
    kinds_in_schema.insert(kind);
    auto parsed = CheckKindFromName(kind);
    ASSERT_TRUE(parsed) << kind;
    std::set<std::string> schema_keys, loader_keys;
    for (const auto& [key, value] : def["properties"].items()) {
      if (key != "kind") schema_keys.insert(key);
    }
    for (std::string_view key : CheckKeys(*parsed)) loader_keys.insert(std::string(key));
    EXPECT_EQ(schema_keys, loader_keys) << kind;
    EXPECT_EQ(def["additionalProperties"], false) << kind;
  }
  EXPECT_EQ(kinds_in_schema.size(), 7u);
  std::set<std::string> sources(defs["manualCheck"]["properties"]["source"]["enum"].begin(),
                                defs["manualCheck"]["properties"]["source"]["enum"].end());
  std::set<std::string> loader_sources;
  for (std::string_view s : ManualSources()) loader_sources.insert(std::string(s));
  EXPECT_EQ(sources, loader_sources);
  for (const json& f : defs["configValueCheck"]["properties"]["format"]["enum"]) {
    EXPECT_TRUE(ConfigFormatFromName(f.get<std::string>())) << f;
  }
  for (const json& t : defs["configValueCheck"]["properties"]["type"]["enum"]) {
    EXPECT_TRUE(ValueTypeFromName(t.get<std::string>())) << t;
  }
}

TEST(BenchmarkSchema, RequiredRecommendationKeysMatchTheLoader) {
  json schema = Schema();
  const json& rec = schema["definitions"]["recommendation"];
  for (const json& key : rec["required"]) {
    // Dropping a required key from a valid recommendation must make the loader refuse it.
    std::string text =
        "benchmark: {id: b, title: t, version: '1'}\nprofiles: [{id: p, title: P}]\nsections: [{id: '1', "
        "title: S}]\n"
        "recommendations:\n  - level: 1\n    title: T\n    id: '1.1'\n    section: '1'\n    profiles: [p]\n"
        "    assessment: automated\n    checks: [{kind: measured, files: [/x]}]\n";
    size_t at = text.find("    " + key.get<std::string>() + ":");
    ASSERT_NE(at, std::string::npos) << key;
    text.erase(at, text.find('\n', at) + 1 - at);
    auto b = ParseBenchmark(text, "t.yaml");
    ASSERT_FALSE(b.ok()) << key;
    EXPECT_NE(b.error().message().find("missing required key '" + key.get<std::string>() + "'"),
              std::string::npos)
        << b.error().ToString();
  }
}

}  // namespace
}  // namespace imawatch::compliance
