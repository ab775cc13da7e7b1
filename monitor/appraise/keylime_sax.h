// nlohmann SAX handler for Keylime runtime policies: the digest maps ("digests", "keyrings",
// "ima-buf": {name: [hex, ...]}) go straight into an AllowListBuilder as they are read, so a
// policy with a million paths never exists as a DOM; every other top-level member ("excludes",
// "ima", "meta", "release", ...) is small and is kept as a DOM in members() for the importer.
//
// After a content error the rest of the document is still parsed, so a syntax error anywhere
// wins, as when the whole document was parsed first; of several content errors the one first
// in sorted key order is kept, as when the DOM's members were checked in order. A name given twice
// in a digest map, or a digest map given twice, is only flagged (saw_duplicate()): JSON keeps
// the last of duplicate keys, which a stream that has already added the first cannot undo.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "monitor/appraise/allow_list_builder.h"

namespace imawatch::appraise {

class KeylimeSax {
 public:
  // std::map-backed: ordered_json finds keys by linear search.
  using Json = nlohmann::json;

  // A syntax error: what nlohmann says, and the 0-based offset of the offending byte (none for
  // a number out of range, which nlohmann reports without a position).
  struct SyntaxError {
    std::optional<size_t> offset;
    std::string message;
  };

  KeylimeSax(AllowListBuilder& builder, std::string source) : b_(builder), source_(std::move(source)) {}

  // Error in the form the importer gives: "$.digests[\"/bin/ls\"][0]: message".
  Error Fail(const std::string& path, const std::string& message) const;

  const std::optional<SyntaxError>& syntax_error() const { return syntax_error_; }
  const std::optional<Error>& error() const { return error_; }
  // The top-level key error() was found under.
  const std::string& error_key() const { return error_at_.first; }
  bool saw_duplicate() const { return duplicate_; }
  // The top-level members other than the digest maps, by name (the last of duplicates).
  Json& members() { return members_; }

  // The nlohmann SAX interface.
  bool null() { return Scalar(Json(nullptr)); }
  bool boolean(bool value) { return Scalar(Json(value)); }
  bool number_integer(Json::number_integer_t value) { return Scalar(Json(value)); }
  bool number_unsigned(Json::number_unsigned_t value) { return Scalar(Json(value)); }
  bool number_float(Json::number_float_t value, const Json::string_t& /*text*/) {
    return Scalar(Json(value));
  }
  bool string(Json::string_t& value);
  bool binary(Json::binary_t& value) { return Scalar(Json(Json::binary_t(value))); }
  bool start_object(size_t /*elements*/) { return Open(true); }
  bool key(Json::string_t& key);
  bool end_object() { return Close(); }
  bool start_array(size_t /*elements*/) { return Open(false); }
  bool end_array() { return Close(); }
  bool parse_error(size_t position, const std::string& last_token, const Json::exception& ex);

 private:
  enum class Section { kNone, kMember, kDigestMap };

  void SetError(Error error);
  void FailName(Error error) {
    name_failed_ = true;
    SetError(std::move(error));
  }
  void RootFailed();
  bool Scalar(Json value);
  bool Open(bool object);
  bool Close();
  Json* Put(Json value);  // into the member being built
  std::string MapPath() const { return "$." + key_; }
  std::string NamePath() const;
  std::string DigestPath() const;
  void Digest(const std::string& hex);
  bool EndName();  // false when the name was given before

  AllowListBuilder& b_;
  std::string source_;
  std::optional<SyntaxError> syntax_error_;
  std::optional<Error> error_;
  std::pair<std::string, std::string> error_at_;  // top-level key and name of error_
  bool root_failed_ = false;                      // not an object: nothing else is checked
  bool duplicate_ = false;

  size_t depth_ = 0;  // open objects and arrays
  Section section_ = Section::kNone;
  std::string key_;  // of the top-level member being read
  Json members_ = Json::object();

  // A digest map: the name being read, its digests so far, the builder's name count before it.
  NameKind kind_ = NameKind::kFile;
  uint8_t maps_seen_ = 0;
  bool map_failed_ = false;
  std::string name_;
  bool name_failed_ = false;  // its first error is kept; the rest of the name is skipped
  size_t index_ = 0;
  size_t names_before_ = 0;

  // Any other member: its DOM, the open containers in it, the key of the next value.
  Json member_;
  std::vector<Json*> open_;
  std::string member_key_;
};

}  // namespace imawatch::appraise
