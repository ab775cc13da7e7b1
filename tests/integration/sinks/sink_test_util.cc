#include "tests/integration/sinks/sink_test_util.h"

#include <gtest/gtest.h>

#include <sstream>

#include "monitor/store/store.h"
#include "tests/testing/paths.h"

namespace imawatch::testing {

std::optional<double> MetricValue(const std::string& exposition, const std::string& name,
                                  const std::map<std::string, std::string>& labels) {
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with(name + "{") && !(labels.empty() && line.starts_with(name + " "))) continue;
    bool all = true;
    for (const auto& [key, value] : labels)
      all = all && line.find(key + "=\"" + value + "\"") != std::string::npos;
    if (all) return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return std::nullopt;
}

void MakeTestPki(const std::string& dir) {
  auto run = [&](const std::string& command) {
    auto r = RunCommand({"/bin/sh", "-c", "cd " + dir + " && " + command});
    ASSERT_EQ(r.exit_code, 0) << command << "\n" << r.err;
  };
  run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days "
      "2 "
      "-subj /CN=test-ca 2>/dev/null");
  for (const std::string who : {"server", "client"}) {
    run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + who + ".key -out " + who +
        ".csr -subj /CN=" + who + " 2>/dev/null");
    run("printf 'subjectAltName=IP:127.0.0.1\\n' > " + who + ".ext && openssl x509 -req -in " + who +
        ".csr -CA ca.pem -CAkey ca.key -CAcreateserial -out " + who + ".pem -days 2 -extfile " + who +
        ".ext 2>/dev/null");
  }
}

std::vector<StoredMessage> StoredOutbox(const std::string& store_path, const std::string& sink) {
  std::vector<StoredMessage> out;
  auto store = store::Store::Open(store_path);
  EXPECT_TRUE(store.ok()) << store.error().ToString();
  if (!store.ok()) return out;
  auto stmt = store->database().Prepare(
      "SELECT id, payload, delivered_at IS NOT NULL, dropped_at IS NOT NULL, coalesce(drop_reason, '') FROM "
      "outbox WHERE sink = ?1 ORDER BY id");
  EXPECT_TRUE(stmt.ok());
  stmt->Bind(1, sink);
  for (;;) {
    auto row = stmt->Step();
    EXPECT_TRUE(row.ok());
    if (!row.ok() || !*row) break;
    auto event = sinks::ParseFindingEvent(stmt->Text(1));
    EXPECT_TRUE(event.ok()) << stmt->Text(1);
    if (!event.ok()) continue;
    out.push_back({.id = stmt->Int(0),
                   .event = *event,
                   .delivered = stmt->Int(2) != 0,
                   .dropped = stmt->Int(3) != 0,
                   .drop_reason = stmt->Text(4)});
  }
  return out;
}

}  // namespace imawatch::testing
