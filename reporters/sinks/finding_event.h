// A finding event as the outbox holds it (JSON, written by the daemon; doc/sinks.md), and its
// deterministic ids: the same event always has the same id, so a re-send updates instead of
// duplicating at the receiver.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "monitor/base/result.h"

namespace imawatch::sinks {

struct FindingEvent {
  std::string node;
  int64_t epoch = 0;
  std::string key;         // "drift:/usr/bin/x", "recommendation:cis-...:4.2.1"
  std::string state;       // open | updated | resolved
  int64_t sequence = 0;    // the finding's n-th event in its epoch (1, 2, ...)
  std::string subject;     // may be empty (resolved events)
  int64_t time = 0;        // Unix seconds
  nlohmann::json payload;  // the whole message as stored

  // UUID v5 of "node\nepoch\nkey": one per finding and epoch.
  std::string FindingId() const;
  // UUID v5 of "node\nepoch\nkey\nsequence": one per event of a finding.
  std::string EventId() const;
  // The stored message with finding_id and event_id added: what JSON sinks send.
  std::string WireJson() const;
};

Result<FindingEvent> ParseFindingEvent(std::string_view payload_json);

// RFC 4122 name-based UUID (version 5, SHA-1) in the given namespace.
std::string UuidV5(const std::array<uint8_t, 16>& name_space, std::string_view name);

}  // namespace imawatch::sinks
