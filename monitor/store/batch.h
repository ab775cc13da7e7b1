// What one poll of the measurement list leaves behind: the cursor's new position, the entries it
// proved, the drift it found or saw resolved, verdicts, and messages for the sinks. The store
// commits a Batch whole or not at all.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace imawatch::store {

// Where reading stopped in one boot epoch's measurement list.
struct Cursor {
  uint64_t entry_index = 0;           // entries consumed so far (the next entry's 0-based index)
  uint64_t byte_offset = 0;           // offset of that entry in binary_runtime_measurements
  uint64_t proved_entries = 0;        // entries whose replay matched the TPM
  std::vector<uint8_t> replay_state;  // the per-bank PCR replay values, serialized by the caller

  bool operator==(const Cursor&) const = default;
};

// An entry kept as evidence (not the whole list twice: only those verdicts point at).
struct ProvedEntry {
  uint64_t entry_index = 0;
  uint32_t pcr = 10;
  std::string template_name;  // "ima-ng", "ima-sig", ...
  std::string digest_algo;    // "sha256", ...
  std::string digest_hex;
  std::string path;
};

// Seen in this batch: opens the finding or refreshes its last_seen and detail.
struct FindingSeen {
  std::string key;      // stable identity, e.g. "digest-mismatch:/usr/bin/kubelet"
  std::string subject;  // the recommendation id or the path
  std::string detail_json;
};

struct VerdictRecord {
  std::string benchmark;
  std::string recommendation;
  std::string result;  // "pass", "fail", ...
};

struct OutboxMessage {
  std::string sink;
  std::string payload;  // JSON when finding_key is set
  // A finding event: the store numbers the finding's events within the epoch (1, 2, ...) and
  // sets the payload's "sequence" to it. Every sink's copy of one event gets the same number.
  std::string finding_key;
};

// The whole report of a benchmark after this batch (JSON), kept for `/v1/reports` and history.
struct ReportSnapshot {
  std::string benchmark;
  std::string report_json;
};

struct Batch {
  int64_t epoch_id = 0;
  // The entry_index the stored cursor must hold now: a batch computed from a stale cursor (a
  // replay after a crash, a second writer) is refused instead of applied twice.
  uint64_t expected_entry_index = 0;
  Cursor cursor;
  int64_t now = 0;  // Unix seconds
  std::vector<ProvedEntry> entries;
  std::vector<FindingSeen> findings_seen;
  std::vector<std::string> findings_resolved;  // keys
  std::vector<VerdictRecord> verdicts;
  std::vector<OutboxMessage> outbox;
  std::vector<ReportSnapshot> reports;
};

}  // namespace imawatch::store
