#include "monitor/appraise/keylime_policy.h"

#include <algorithm>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <vector>

#include "monitor/appraise/allow_list_builder.h"
#include "monitor/appraise/chunked_input.h"
#include "monitor/appraise/digest_text.h"
#include "monitor/appraise/keylime_sax.h"
#include "monitor/appraise/text_lines.h"

namespace imawatch::appraise {
namespace {

// std::map-backed: ordered_json finds keys by linear search, quadratic on policies with a
// million paths.
using Json = nlohmann::json;

constexpr int kCurrentVersion = 1;

std::string Member(const std::string& path, const std::string& key) {
  return path + "[" + Json(key).dump() + "]";
}
std::string Index(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

// Checks and imports a parsed policy; KeylimeSax hands it the members other than the digest
// maps, which it has already streamed into the builder.
class Importer {
 public:
  Importer(std::string source, AllowListBuilder builder)
      : source_(std::move(source)), b_(std::move(builder)) {}

  Error Fail(const std::string& path, const std::string& message) const {
    return InvalidInput(path + ": " + message, {.source = source_});
  }

  Status DigestMap(const Json& value, const std::string& path, NameKind kind) {
    if (!value.is_object()) return Fail(path, "expected an object of name: [digests]");
    for (const auto& [name, digests] : value.items()) {
      std::string at = Member(path, name);
      if (!digests.is_array()) return Fail(at, "expected an array of hex digests");
      if (digests.empty()) {
        if (Status st = b_.AddTags(kind, name, {}); !st) return Fail(at, st.error().message());
      }
      for (size_t i = 0; i < digests.size(); ++i) {
        const Json& d = digests[i];
        if (!d.is_string()) return Fail(Index(at, i), "expected a hex digest string");
        auto digest = ParseDigestText(d.get_ref<const std::string&>());
        if (!digest) return Fail(Index(at, i), digest.error().message());
        if (Status st = b_.Add(kind, name, *digest); !st) return Fail(Index(at, i), st.error().message());
      }
    }
    return Status::Ok();
  }

  Status Ima(const Json& value, Json& extra) {
    if (!value.is_object()) return Fail("$.ima", "expected an object");
    Json rest = Json::object();
    for (const auto& [key, v] : value.items()) {
      std::string at = Member("$.ima", key);
      if (key == "ignored_keyrings") {
        if (!v.is_array()) return Fail(at, "expected an array of keyring names");
        for (size_t i = 0; i < v.size(); ++i) {
          if (!v[i].is_string() || v[i].get_ref<const std::string&>().empty()) {
            return Fail(Index(at, i), "expected a keyring name");
          }
          b_.settings().ignored_keyrings.push_back(v[i].get<std::string>());
        }
      } else if (key == "log_hash_alg") {
        if (!v.is_string() || !ima::HashAlgoFromName(v.get_ref<const std::string&>())) {
          return Fail(at, "expected a hash algorithm name (sha1, sha256, sha384, sha512)");
        }
        b_.settings().log_hash_alg = v.get<std::string>();
      } else {
        rest[key] = v;  // dm_policy and anything newer
      }
    }
    extra["ima"] = std::move(rest);
    return Status::Ok();
  }

  Result<AllowList> Import(const Json& doc) {
    if (!doc.is_object()) return Fail("$", "a runtime policy is a JSON object");
    Json extra = Json::object();
    for (const auto& [key, value] : doc.items()) {
      failed_key_ = key;
      std::string at = "$." + key;
      Status st;
      if (key == "digests") {
        st = DigestMap(value, at, NameKind::kFile);
      } else if (key == "keyrings") {
        st = DigestMap(value, at, NameKind::kKeyring);
      } else if (key == "ima-buf") {
        st = DigestMap(value, at, NameKind::kImaBuf);
      } else if (key == "excludes") {
        if (!value.is_array()) return Fail(at, "expected an array of regexes");
        for (size_t i = 0; i < value.size(); ++i) {
          if (!value[i].is_string()) return Fail(Index(at, i), "expected a regex string");
          if (Status s = b_.AddExclude(PatternKind::kRegex, value[i].get_ref<const std::string&>()); !s) {
            return Fail(Index(at, i), s.error().message());
          }
        }
      } else if (key == "ima") {
        st = Ima(value, extra);
      } else if (key == "meta") {
        if (!value.is_object()) return Fail(at, "expected an object");
        auto version = value.find("version");
        if (version == value.end() || !version->is_number_integer()) {
          return Fail(at + ".version", "expected the policy format version (an integer)");
        }
        if (version->get<int64_t>() != kCurrentVersion) {
          return Error(
              ErrorKind::kUnsupported,
              at + ".version: runtime policy version " + version->dump() + " is not supported (1 is)",
              {.source = source_});
        }
        extra[key] = value;
      } else {
        extra[key] = value;  // release, verification-keys, rules, ...
      }
      if (!st) return st.error();
    }
    failed_key_.reset();
    if (!extra.empty()) b_.settings().keylime_extra = extra.dump();
    return b_.Build();
  }

  // After Import failed: the top-level member it failed on, if it was one.
  const std::optional<std::string>& failed_key() const { return failed_key_; }

 private:
  std::string source_;
  AllowListBuilder b_;
  std::optional<std::string> failed_key_;
};

// JSON cannot hold names that are not UTF-8: such bytes come out as U+FFFD.
std::string Dump(const Json& value) { return value.dump(-1, ' ', false, Json::error_handler_t::replace); }

// {"name": ["hex", ...], ...} with names and digests sorted, written directly: a policy may
// hold a million names.
std::string DigestMapText(const AllowList& list, NameKind kind) {
  std::map<std::string_view, std::vector<std::string>> by_name;
  for (AllowList::NameId id = 0; id < list.name_count(); ++id) {
    if (list.Kind(id) == kind) by_name[list.Name(id)];
  }
  list.ForEachEntry([&](AllowList::NameId id, const ima::Digest& digest) {
    if (list.Kind(id) == kind) by_name[list.Name(id)].push_back(FormatDigestShort(digest));
  });
  if (by_name.empty()) return "{}";
  std::string out = "{";
  bool first = true;
  for (auto& [name, digests] : by_name) {
    std::sort(digests.begin(), digests.end());
    out += first ? "\n  " : ",\n  ";
    first = false;
    out += Dump(Json(std::string(name)));
    out += ": [";
    for (size_t i = 0; i < digests.size(); ++i) {
      out += i ? ", \"" : "\"";
      out += digests[i];
      out += '"';
    }
    out += ']';
  }
  out += "\n }";
  return out;
}

// 1-based line and column after the text fed so far.
struct TextPosition {
  uint32_t line = 1;
  uint32_t column = 1;
  void Advance(std::string_view text) {
    for (char c : text) {
      if (c == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
  }
};

Error SyntaxError(const KeylimeSax::SyntaxError& e, const std::string& source,
                  const std::function<TextPosition(size_t)>& locate) {
  if (!e.offset) return InvalidInput("invalid JSON: " + e.message, {.source = source});
  TextPosition at = locate(*e.offset);
  return InvalidInput("invalid JSON: " + e.message, {.source = source, .line = at.line, .column = at.column});
}

Result<AllowList> Finish(KeylimeSax& sax, AllowListBuilder builder, const std::string& source,
                         const std::function<TextPosition(size_t)>& locate) {
  if (sax.syntax_error()) return SyntaxError(*sax.syntax_error(), source, locate);
  Importer importer(source, std::move(builder));
  auto list = importer.Import(sax.members());
  if (!sax.error()) return list;
  // Both found errors: the one under the first key in sorted order, as the DOM walk found it.
  if (!list.ok() && importer.failed_key() && *importer.failed_key() < sax.error_key()) return list;
  return *sax.error();
}

// The whole document as a DOM: only for a policy that gives a name (or a digest map) twice,
// where JSON keeps the last one and a stream has already added the first.
Result<AllowList> ImportDom(std::string_view json, const std::string& source) {
  Json doc;
  try {
    doc = Json::parse(json);
  } catch (const Json::parse_error& e) {
    // e.byte is 1-based and points just past the offending character.
    size_t offset = e.byte == 0 ? 0 : std::min<size_t>(e.byte - 1, json.size());
    TextPosition at;
    at.Advance(json.substr(0, offset));
    std::string what = e.what();
    size_t colon = what.rfind(": ");
    return InvalidInput("invalid JSON: " + (colon == std::string::npos ? what : what.substr(colon + 2)),
                        {.source = source, .line = at.line, .column = at.column});
  } catch (const std::exception& e) {
    return InvalidInput(std::string("invalid JSON: ") + e.what(), {.source = source});
  }
  return Importer(source, AllowListBuilder()).Import(doc);
}

}  // namespace

Result<AllowList> ParseKeylimePolicy(std::string_view json, const std::string& source) {
  AllowListBuilder builder;
  builder.Reserve(json.size() / 64, json.size());
  KeylimeSax sax(builder, source);
  Json::sax_parse(json.begin(), json.end(), &sax);
  if (sax.saw_duplicate()) return ImportDom(json, source);
  return Finish(sax, std::move(builder), source, [&](size_t offset) {
    TextPosition at;
    at.Advance(json.substr(0, std::min(offset, json.size())));
    return at;
  });
}

Result<AllowList> LoadKeylimePolicy(Env& env, const std::string& path) {
  auto file = env.OpenForRead(path);
  if (!file) return file.error();
  AllowListBuilder builder;
  ReserveForText(env, path, builder);
  KeylimeSax sax(builder, path);
  ChunkedInput input(**file, kMaxKeylimePolicySize);
  Json::sax_parse(input.begin(), input.end(), &sax);
  if (input.error()) return *input.error();
  if (sax.saw_duplicate()) {
    auto text = env.ReadFile(path, kMaxKeylimePolicySize);
    if (!text) return text.error();
    return ImportDom(*text, path);
  }
  return Finish(sax, std::move(builder), path, [&](size_t offset) {
    // Only for a syntax error: read the file again up to it.
    TextPosition at;
    std::vector<uint8_t> buffer(size_t{1} << 20);
    for (uint64_t done = 0; done < offset;) {
      auto n = (*file)->ReadAt(done, std::span(buffer).first(std::min<size_t>(buffer.size(), offset - done)));
      if (!n || *n == 0) break;
      at.Advance(std::string_view(reinterpret_cast<const char*>(buffer.data()), *n));
      done += *n;
    }
    return at;
  });
}

std::string WriteKeylimePolicy(const AllowList& list) {
  const PolicySettings& settings = list.settings();
  Json extra = Json::object();
  if (!settings.keylime_extra.empty()) {
    extra = Json::parse(settings.keylime_extra, nullptr, /*allow_exceptions=*/false);
    if (!extra.is_object()) extra = Json::object();
  }
  auto take = [&](const char* key, Json fallback) {
    auto it = extra.find(key);
    if (it == extra.end()) return fallback;
    Json value = std::move(*it);
    extra.erase(key);
    return value;
  };

  std::string out = "{";
  bool first = true;
  auto field = [&](std::string_view key, const std::string& value) {
    out += first ? "\n " : ",\n ";
    first = false;
    out += Dump(Json(std::string(key)));
    out += ": ";
    out += value;
  };
  field("meta", Dump(take("meta", Json{{"version", kCurrentVersion}})));
  if (extra.contains("release")) field("release", Dump(take("release", nullptr)));
  field("digests", DigestMapText(list, NameKind::kFile));
  Json excludes = Json::array();
  for (const auto& pattern : list.excludes().patterns()) {
    excludes.push_back(pattern.kind() == PatternKind::kRegex ? pattern.text() : GlobToRegex(pattern.text()));
  }
  field("excludes", Dump(excludes));
  field("keyrings", DigestMapText(list, NameKind::kKeyring));
  Json ima = take("ima", Json::object());
  if (!ima.is_object()) ima = Json::object();
  Json ima_out = Json::object();
  ima_out["ignored_keyrings"] = settings.ignored_keyrings;
  ima_out["log_hash_alg"] = settings.log_hash_alg.empty() ? "sha1" : settings.log_hash_alg;
  ima_out["dm_policy"] = nullptr;
  for (auto& [key, value] : ima.items()) ima_out[key] = value;
  field("ima", Dump(ima_out));
  field("ima-buf", DigestMapText(list, NameKind::kImaBuf));
  field("verification-keys", Dump(take("verification-keys", "")));
  for (auto& [key, value] : extra.items()) field(key, Dump(value));
  out += "\n}\n";
  return out;
}

}  // namespace imawatch::appraise
