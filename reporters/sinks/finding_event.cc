#include "reporters/sinks/finding_event.h"

#include <openssl/sha.h>

#include <array>

namespace imawatch::sinks {
namespace {

// This project's namespace for finding ids (a random v4 UUID, fixed forever).
constexpr std::array<uint8_t, 16> kFindingNamespace = {0x6f, 0x1c, 0x2e, 0x8a, 0x53, 0x9d, 0x4b, 0x0e,
                                                       0x9a, 0x61, 0x3c, 0x7d, 0x15, 0xe2, 0x48, 0xb3};

Error Bad(std::string message) {
  return Error(ErrorKind::kInvalidInput, "outbox message: " + std::move(message));
}

}  // namespace

std::string UuidV5(const std::array<uint8_t, 16>& name_space, std::string_view name) {
  std::string input(reinterpret_cast<const char*>(name_space.data()), name_space.size());
  input += name;
  std::array<uint8_t, SHA_DIGEST_LENGTH> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest.data());
  digest[6] = static_cast<uint8_t>((digest[6] & 0x0f) | 0x50);
  digest[8] = static_cast<uint8_t>((digest[8] & 0x3f) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

std::string FindingEvent::FindingId() const {
  return UuidV5(kFindingNamespace, node + "\n" + std::to_string(epoch) + "\n" + key);
}

std::string FindingEvent::EventId() const {
  return UuidV5(kFindingNamespace,
                node + "\n" + std::to_string(epoch) + "\n" + key + "\n" + std::to_string(sequence));
}

std::string FindingEvent::WireJson() const {
  nlohmann::json wire = payload;
  wire["finding_id"] = FindingId();
  wire["event_id"] = EventId();
  return wire.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<FindingEvent> ParseFindingEvent(std::string_view payload_json) {
  nlohmann::json j = nlohmann::json::parse(payload_json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Bad("not a JSON object");
  FindingEvent e;
  auto text = [&](const char* name, std::string& out, bool required) {
    auto it = j.find(name);
    if (it == j.end()) return !required;
    if (!it->is_string()) return false;
    out = it->get<std::string>();
    return true;
  };
  auto number = [&](const char* name, int64_t& out) {
    auto it = j.find(name);
    if (it == j.end() || !it->is_number_integer()) return false;
    out = it->get<int64_t>();
    return true;
  };
  if (!text("node", e.node, true)) return Bad("missing or non-string \"node\"");
  if (!text("key", e.key, true)) return Bad("missing or non-string \"key\"");
  if (!text("state", e.state, true)) return Bad("missing or non-string \"state\"");
  if (!text("subject", e.subject, false)) return Bad("non-string \"subject\"");
  if (!number("epoch", e.epoch)) return Bad("missing or non-integer \"epoch\"");
  if (!number("sequence", e.sequence) || e.sequence < 1) return Bad("missing or non-positive \"sequence\"");
  if (!number("time", e.time)) return Bad("missing or non-integer \"time\"");
  constexpr int64_t kYear10000 = 253402300800;  // times become milliseconds downstream: keep them small
  if (e.time < 0 || e.time >= kYear10000) return Bad("\"time\" out of range (0 to the year 9999)");
  e.payload = std::move(j);
  return e;
}

}  // namespace imawatch::sinks
