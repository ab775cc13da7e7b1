#include "monitor/appraise/keylime_sax.h"

#include <utility>

#include "monitor/appraise/digest_text.h"

namespace imawatch::appraise {

Error KeylimeSax::Fail(const std::string& path, const std::string& message) const {
  return InvalidInput(path + ": " + message, {.source = source_});
}

std::string KeylimeSax::NamePath() const { return MapPath() + "[" + Json(name_).dump() + "]"; }
std::string KeylimeSax::DigestPath() const { return NamePath() + "[" + std::to_string(index_) + "]"; }

void KeylimeSax::SetError(Error error) {
  // The first error in key order: the importer walked the DOM's std::map of members, and each
  // map's names, in sorted order.
  std::pair<std::string, std::string> at{key_, section_ == Section::kDigestMap ? name_ : std::string()};
  if (!error_ || at < error_at_) {
    error_ = std::move(error);
    error_at_ = std::move(at);
  }
}

bool KeylimeSax::Scalar(Json value) {
  if (root_failed_) return true;
  if (depth_ == 0) {
    RootFailed();
  } else if (section_ == Section::kMember) {
    if (depth_ == 1) {
      members_[key_] = std::move(value);
    } else {
      Put(std::move(value));
    }
  } else if (depth_ == 1) {
    SetError(Fail(MapPath(), "expected an object of name: [digests]"));
  } else if (map_failed_ || name_failed_) {
    // the rest of a failed map or name
  } else if (depth_ == 2) {
    FailName(Fail(NamePath(), "expected an array of hex digests"));
  } else if (depth_ == 3) {
    FailName(Fail(DigestPath(), "expected a hex digest string"));
  }
  return true;
}

bool KeylimeSax::string(Json::string_t& value) {
  if (!root_failed_ && section_ == Section::kDigestMap && depth_ == 3 && !map_failed_ && !name_failed_) {
    Digest(value);
    return true;
  }
  return Scalar(Json(value));
}

void KeylimeSax::Digest(const std::string& hex) {
  auto digest = ParseDigestText(hex);
  if (!digest) {
    FailName(Fail(DigestPath(), digest.error().message()));
  } else if (Status st = b_.Add(kind_, name_, *digest); !st) {
    FailName(Fail(DigestPath(), st.error().message()));
  }
  ++index_;
}

void KeylimeSax::RootFailed() {
  root_failed_ = true;
  error_ = Fail("$", "a runtime policy is a JSON object");
}

bool KeylimeSax::Open(bool object) {
  if (root_failed_) return true;
  const size_t depth = depth_++;
  if (depth == 0) {
    if (!object) RootFailed();
  } else if (section_ == Section::kMember) {
    if (depth == 1) {
      member_ = object ? Json::object() : Json::array();
      open_.assign(1, &member_);
    } else {
      open_.push_back(Put(object ? Json::object() : Json::array()));
    }
  } else if (depth == 1) {
    map_failed_ = !object;
    if (!object) SetError(Fail(MapPath(), "expected an object of name: [digests]"));
  } else if (map_failed_ || name_failed_) {
    // inside a failed map or name
  } else if (depth == 2) {
    if (object) {
      FailName(Fail(NamePath(), "expected an array of hex digests"));
    } else {
      index_ = 0;
    }
  } else if (depth == 3) {
    FailName(Fail(DigestPath(), "expected a hex digest string"));
  }
  return true;
}

bool KeylimeSax::Close() {
  if (root_failed_) return true;
  const size_t depth = --depth_;
  if (depth == 0) return true;
  if (section_ == Section::kMember) {
    if (depth == 1) {
      members_[key_] = std::move(member_);
      open_.clear();
    } else {
      open_.pop_back();
    }
    return true;
  }
  if (depth == 2 && !map_failed_) return EndName();
  return true;
}

bool KeylimeSax::EndName() {
  // A name without digests, or one that failed, is still interned, so that a name given twice
  // is seen by the name count.
  if (index_ == 0 || name_failed_) {
    if (Status st = b_.AddTags(kind_, name_, {}); !st) {
      if (!name_failed_) SetError(Fail(NamePath(), st.error().message()));
      return true;  // an empty or overlong name is never interned
    }
  }
  if (b_.name_count() != names_before_ + 1) {
    duplicate_ = true;  // the name was in the map before
    return false;
  }
  return true;
}

bool KeylimeSax::key(Json::string_t& key) {
  if (root_failed_) return true;
  if (depth_ == 1) {
    key_ = key;
    uint8_t bit = 0;
    if (key == "digests") {
      bit = 1;
      kind_ = NameKind::kFile;
    } else if (key == "keyrings") {
      bit = 2;
      kind_ = NameKind::kKeyring;
    } else if (key == "ima-buf") {
      bit = 4;
      kind_ = NameKind::kImaBuf;
    }
    if (bit == 0) {
      section_ = Section::kMember;
    } else if (maps_seen_ & bit) {
      duplicate_ = true;
      return false;
    } else {
      maps_seen_ |= bit;
      section_ = Section::kDigestMap;
      map_failed_ = false;
      name_.clear();
    }
  } else if (section_ == Section::kMember) {
    member_key_ = key;
  } else if (depth_ == 2 && !map_failed_) {
    name_ = key;
    name_failed_ = false;
    index_ = 0;
    names_before_ = b_.name_count();
  }
  return true;
}

KeylimeSax::Json* KeylimeSax::Put(Json value) {
  Json& parent = *open_.back();
  if (parent.is_array()) {
    parent.push_back(std::move(value));
    return &parent.back();
  }
  Json& slot = parent[member_key_];
  slot = std::move(value);
  return &slot;
}

bool KeylimeSax::parse_error(size_t /*position*/, const std::string& /*last_token*/,
                             const Json::exception& ex) {
  if (const auto* e = dynamic_cast<const Json::parse_error*>(&ex)) {
    // e->byte is 1-based and points just past the offending character.
    std::string what = e->what();
    size_t colon = what.rfind(": ");
    syntax_error_ = SyntaxError{e->byte == 0 ? 0 : e->byte - 1,
                                colon == std::string::npos ? what : what.substr(colon + 2)};
  } else {
    syntax_error_ = SyntaxError{std::nullopt, ex.what()};  // number overflow (out_of_range.406)
  }
  return false;
}

}  // namespace imawatch::appraise
