#include "monitor/appraise/keylime_sax.h"

#include <utility>

#include "monitor/appraise/digest_text.h"

namespace imawatch::appraise {

Error KeylimeSax::Fail(const std::string& path, const std::string& message) const {
  return InvalidInput(path + ": " + message, {.source = source_});
}

std::string KeylimeSax::NamePath() const { return MapPath() + "[" + Json(name_).dump() + "]"; }
std::string KeylimeSax::DigestPath() const { return NamePath() + "[" + std::to_string(index_) + "]"; }

bool KeylimeSax::Scalar(Json value) {
  if (Skipping()) return true;
  if (depth_ == 0) {
    SetError(Fail("$", "a runtime policy is a JSON object"));
  } else if (section_ == Section::kMember) {
    if (depth_ == 1) {
      members_[key_] = std::move(value);
    } else {
      Put(std::move(value));
    }
  } else if (depth_ == 1) {
    SetError(Fail(MapPath(), "expected an object of name: [digests]"));
  } else if (depth_ == 2) {
    SetError(Fail(NamePath(), "expected an array of hex digests"));
  } else {
    SetError(Fail(DigestPath(), "expected a hex digest string"));
  }
  return true;
}

bool KeylimeSax::string(Json::string_t& value) {
  if (!Skipping() && section_ == Section::kDigestMap && depth_ == 3) {
    Digest(value);
    return true;
  }
  return Scalar(Json(value));
}

void KeylimeSax::Digest(const std::string& hex) {
  auto digest = ParseDigestText(hex);
  if (!digest) {
    SetError(Fail(DigestPath(), digest.error().message()));
  } else if (Status st = b_.Add(kind_, name_, *digest); !st) {
    SetError(Fail(DigestPath(), st.error().message()));
  }
  ++index_;
}

bool KeylimeSax::Open(bool object) {
  if (Skipping()) return true;
  const size_t depth = depth_++;
  if (depth == 0) {
    if (!object) SetError(Fail("$", "a runtime policy is a JSON object"));
  } else if (section_ == Section::kMember) {
    if (depth == 1) {
      member_ = object ? Json::object() : Json::array();
      open_.assign(1, &member_);
    } else {
      open_.push_back(Put(object ? Json::object() : Json::array()));
    }
  } else if (depth == 1) {
    if (!object) SetError(Fail(MapPath(), "expected an object of name: [digests]"));
  } else if (depth == 2) {
    if (object) {
      SetError(Fail(NamePath(), "expected an array of hex digests"));
    } else {
      index_ = 0;
      names_before_ = b_.name_count();
    }
  } else {
    SetError(Fail(DigestPath(), "expected a hex digest string"));
  }
  return true;
}

bool KeylimeSax::Close() {
  if (Skipping()) return true;
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
  if (depth == 2) return EndName();
  return true;
}

bool KeylimeSax::EndName() {
  if (index_ == 0) {
    if (Status st = b_.AddTags(kind_, name_, {}); !st) {
      SetError(Fail(NamePath(), st.error().message()));
      return true;
    }
  }
  if (b_.name_count() != names_before_ + 1) {
    duplicate_ = true;  // the name was in the map before
    return false;
  }
  return true;
}

bool KeylimeSax::key(Json::string_t& key) {
  if (Skipping()) return true;
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
    }
  } else if (section_ == Section::kDigestMap) {
    name_ = key;
  } else {
    member_key_ = key;
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
