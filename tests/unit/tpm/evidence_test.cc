// The evidence bundle's JSON form: round trip, errors with their JSON pointer or line and
// column, and the schema in doc/schemas kept in step with what the parser requires.
#include "monitor/tpm/evidence.h"

#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "monitor/base/hex.h"
#include "tests/testing/paths.h"

namespace imawatch::tpm {
namespace {

using nlohmann::json;

Evidence Sample() {
  Evidence e;
  e.time = "2026-01-02T03:04:05+01:00";
  e.hostname = "node-a";
  e.node_name = "rack1-a";
  e.nonce = {0xc0, 0xff, 0xee};
  e.ak_type = AkType::kRsa;
  e.ak_name = *FromHex("000b" + std::string(64, 'a'));
  e.ak_pem = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
  e.selection = *ParsePcrSelection("sha256:0-10+sha1:10");
  e.quote = {{0xff, 0x54, 0x43, 0x47, 0x80, 0x18}, {0x00, 0x14, 0x00, 0x0b, 1, 2}};
  e.clock = {.clock = 123456789012ull, .reset_count = 7, .restart_count = 2, .safe = true};
  e.firmware_version = 0x2019102300163636ull;
  for (uint32_t i = 0; i <= 10; ++i) {
    e.pcrs.Set(ima::HashAlgo::kSha256, i,
               ima::Digest::Filled(ima::HashAlgo::kSha256, static_cast<uint8_t>(i)));
  }
  e.pcrs.Set(ima::HashAlgo::kSha1, 10, ima::Digest::Filled(ima::HashAlgo::kSha1, 0xab));
  e.list.source = "/sys/kernel/security/ima/binary_runtime_measurements";
  e.list.entries = 3;
  e.list.size = 5;
  e.list.sha256.assign(32, 0x11);
  e.list.data = std::vector<uint8_t>{1, 2, 3, 4, 5};
  return e;
}

std::string ParseError(const std::string& text) {
  auto parsed = ParseEvidence(text, "bundle.json");
  if (parsed.ok()) return "(parsed)";
  EXPECT_EQ(parsed.error().kind(), ErrorKind::kInvalidInput);
  return parsed.error().ToString();
}

std::string With(const std::function<void(json&)>& change) {
  json j = json::parse(EvidenceToJson(Sample()));
  change(j);
  return j.dump(2);
}

TEST(EvidenceTest, RoundTripsEveryField) {
  const Evidence e = Sample();
  std::string text = EvidenceToJson(e);
  auto back = ParseEvidence(text, "bundle.json");
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->time, e.time);
  EXPECT_EQ(back->hostname, e.hostname);
  EXPECT_EQ(back->node_name, e.node_name);
  EXPECT_EQ(back->nonce, e.nonce);
  EXPECT_EQ(back->ak_type, e.ak_type);
  EXPECT_EQ(back->ak_name, e.ak_name);
  EXPECT_EQ(back->ak_pem, e.ak_pem);
  EXPECT_EQ(back->selection, e.selection);
  EXPECT_EQ(back->quote.attest, e.quote.attest);
  EXPECT_EQ(back->quote.signature, e.quote.signature);
  EXPECT_EQ(back->clock.clock, e.clock.clock);
  EXPECT_EQ(back->clock.reset_count, 7u);
  EXPECT_EQ(back->clock.restart_count, 2u);
  EXPECT_TRUE(back->clock.safe);
  EXPECT_EQ(back->firmware_version, e.firmware_version);
  EXPECT_EQ(back->pcrs, e.pcrs);
  EXPECT_EQ(back->list.source, e.list.source);
  EXPECT_EQ(back->list.entries, 3u);
  EXPECT_EQ(back->list.size, 5u);
  EXPECT_EQ(back->list.sha256, e.list.sha256);
  EXPECT_EQ(back->list.data, e.list.data);
  EXPECT_EQ(EvidenceToJson(*back), text);

  json j = json::parse(text);
  EXPECT_EQ(j["format"], "imawatch-evidence");
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["quote"]["attest"], "/1RDR4AY");  // base64 of ff544347 8018
  EXPECT_EQ(j["tpm"]["firmware_version"], "2019102300163636");
  EXPECT_EQ(j["measurement_list"]["data"], "AQIDBAU=");
}

TEST(EvidenceTest, OptionalFieldsMayBeLeftOut) {
  Evidence e = Sample();
  e.node_name.clear();
  e.list.data.reset();
  std::string text = EvidenceToJson(e);
  json j = json::parse(text);
  EXPECT_FALSE(j["node"].contains("name"));
  EXPECT_FALSE(j["measurement_list"].contains("data"));
  auto back = ParseEvidence(text, "bundle.json");
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_TRUE(back->node_name.empty());
  EXPECT_FALSE(back->list.data.has_value());
}

TEST(EvidenceTest, NonUtf8HostnameAndPathAreWrittenReplaced) {
  Evidence e = Sample();
  e.hostname = "node-\xff";
  e.list.source = "/tmp/list-\xc3";
  auto back = ParseEvidence(EvidenceToJson(e), "bundle.json");
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->hostname, "node-\xef\xbf\xbd");  // U+FFFD
  EXPECT_EQ(back->list.source, "/tmp/list-\xef\xbf\xbd");
}

TEST(EvidenceTest, SyntaxErrorsCarryLineAndColumn) {
  std::string error = ParseError("{\n  \"format\": \"imawatch-evidence\",\n  oops\n}");
  EXPECT_EQ(error.rfind("bundle.json:3:3: not JSON: syntax error while parsing object key", 0), 0u) << error;
  auto cut = ParseEvidence(EvidenceToJson(Sample()).substr(0, 50), "cut.json");
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error().where().byte_offset, 50u);
  const std::string head = EvidenceToJson(Sample()).substr(0, 50);
  EXPECT_EQ(cut.error().where().line, 1 + std::count(head.begin(), head.end(), '\n'));
  EXPECT_EQ(cut.error().where().column, 51 - (head.rfind('\n') + 1));
  EXPECT_EQ(ParseError("").substr(0, 25), "bundle.json:1:1: not JSON");
  EXPECT_EQ(ParseError("[1, 2]"), "bundle.json: : an evidence bundle is a JSON object");
  // nlohmann reports a number beyond double's range as out_of_range, not parse_error.
  EXPECT_EQ(ParseError(With([](json& j) { j["version"] = 1; }).replace(0, 1, "{\"x\": 1e400,")),
            "bundle.json: not JSON: number overflow parsing '1e400'");
}

TEST(EvidenceTest, FieldErrorsNameTheirJsonPointer) {
  const std::pair<std::function<void(json&)>, std::string> cases[] = {
      {[](json& j) { j["format"] = "imawatch-tpm-quote-v1"; }, "/format: is not \"imawatch-evidence\""},
      {[](json& j) { j["version"] = 2; }, "/version: is 2; this imawatch reads version 1"},
      {[](json& j) { j["version"] = "1"; }, "/version: is not an unsigned integer"},
      {[](json& j) { j["version"] = -1; }, "/version: is not an unsigned integer"},
      {[](json& j) { j["time"] = "2026-01-02 03:04:05"; }, "/time: is not an RFC 3339 date-time with a zone"},
      {[](json& j) { j["node"] = "node-a"; }, "/node: is not an object"},
      {[](json& j) { j["node"]["name"] = 7; }, "/node/name: is not a string"},
      {[](json& j) { j["nonce"] = "c0ffe"; }, "/nonce: is not hex"},
      {[](json& j) { j["ak"]["type"] = "dsa"; }, "/ak/type: is not \"ecc\" or \"rsa\""},
      {[](json& j) { j["ak"]["name"] = "zz"; }, "/ak/name: is not hex"},
      {[](json& j) { j["quote"]["selection"] = "sha256"; }, "/quote/selection: expected bank:pcrs"},
      {[](json& j) { j["quote"]["attest"] = "/1RDR4A"; }, "/quote/attest: is not base64 (at character 7)"},
      {[](json& j) { j["quote"]["signature"] = "AB C"; }, "/quote/signature: is not base64 (at character 2)"},
      {[](json& j) { j["tpm"]["reset_count"] = 4294967296ull; }, "/tpm/reset_count: is above 2^32-1"},
      {[](json& j) { j["tpm"]["safe"] = "yes"; }, "/tpm/safe: is not true or false"},
      {[](json& j) { j["tpm"]["clock_ms"] = 1.5; }, "/tpm/clock_ms: is not an unsigned integer"},
      {[](json& j) { j["tpm"]["firmware_version"] = "20191023"; },
       "/tpm/firmware_version: is not 16 hex digits"},
      {[](json& j) { j["pcrs"]["md4"] = json::object(); }, "/pcrs: unknown PCR bank \"md4\""},
      {[](json& j) { j["pcrs"]["sha256"]["10"] = "00"; }, "/pcrs: sha256:10 is not a 32-byte hex value"},
      {[](json& j) { j["pcrs"]["sha256"]["24"] = std::string(64, '0'); },
       "/pcrs: PCR index \"24\" of sha256 is not 0..23"},
      {[](json& j) { j["measurement_list"]["sha256"] = "00"; },
       "/measurement_list/sha256: is not 64 hex digits"},
      {[](json& j) { j["measurement_list"]["data"] = "AQIDBAU"; },
       "/measurement_list/data: is not base64 (at character 7)"},
      {[](json& j) { j["measurement_list"].erase("entries"); }, "/measurement_list/entries: missing"},
  };
  for (const auto& [change, message] : cases) {
    EXPECT_EQ(ParseError(With(change)), "bundle.json: " + message);
  }
}

TEST(EvidenceTest, Rfc3339) {
  for (const char* good : {"2026-01-02T03:04:05Z", "2026-01-02T03:04:05.123+05:30",
                           "2026-01-02t03:04:05-00:00", "2026-01-02T03:04:05z"}) {
    EXPECT_TRUE(IsRfc3339(good)) << good;
  }
  for (const char* bad : {"2026-01-02T03:04:05", "2026-01-02 03:04:05Z", "2026-01-02T03:04:05+0100",
                          "2026-01-02T03:04:05.Z", "2026-1-02T03:04:05Z", "2026-01-02T03:04:05Z ", ""}) {
    EXPECT_FALSE(IsRfc3339(bad)) << bad;
  }
  EXPECT_TRUE(IsRfc3339(Rfc3339Now())) << Rfc3339Now();
}

// Every object member the schema lists is required by the schema exactly when the parser
// refuses a bundle without it; and every member a bundle has is in the schema.
void CheckAgainstSchema(const json& schema, const json& bundle, const std::string& pointer,
                        const std::function<std::string(const std::string&)>& parse_without) {
  ASSERT_TRUE(schema.contains("properties")) << pointer;
  const json& properties = schema["properties"];
  std::vector<std::string> required = schema.value("required", std::vector<std::string>{});
  for (const auto& [key, value] : bundle.items()) {
    EXPECT_TRUE(properties.contains(key)) << pointer + "/" + key << " is written but not in the schema";
  }
  for (const auto& [key, sub] : properties.items()) {
    std::string at = pointer + "/" + key;
    ASSERT_TRUE(bundle.contains(key)) << at << " is in the schema but the sample lacks it";
    bool schema_requires = std::find(required.begin(), required.end(), key) != required.end();
    std::string error = parse_without(at);
    bool parser_requires = error.find(at + ": missing") != std::string::npos;
    EXPECT_EQ(schema_requires, parser_requires) << at << ": " << error;
    if (sub.contains("properties")) CheckAgainstSchema(sub, bundle[key], at, parse_without);
  }
}

TEST(EvidenceTest, SchemaRequiresWhatTheParserRequires) {
  json schema =
      json::parse(testing::ReadFileOrDie(testing::SourceDir() + "/doc/schemas/evidence.schema.json"));
  const json bundle = json::parse(EvidenceToJson(Sample()));
  auto parse_without = [&](const std::string& pointer) {
    json j = bundle;
    json::json_pointer p(pointer);
    j[p.parent_pointer()].erase(p.back());
    return ParseError(j.dump());
  };
  CheckAgainstSchema(schema, bundle, "", parse_without);
  EXPECT_EQ(schema["properties"]["format"]["const"], std::string(kEvidenceFormat));
  EXPECT_EQ(schema["properties"]["version"]["const"], kEvidenceVersion);
}

}  // namespace
}  // namespace imawatch::tpm
