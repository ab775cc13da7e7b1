#include "monitor/daemon/config.h"

#include <arpa/inet.h>
#include <unistd.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

#include "monitor/base/utf8.h"
#include "monitor/compliance/benchmark_catalog.h"
#include "monitor/compliance/value_parse.h"
#include "monitor/daemon/duration.h"

namespace imawatch::daemon {
namespace {

using std::chrono::milliseconds;

struct SectionKeys {
  std::string_view section;  // "" is the top level; "[]" marks a list's items
  std::vector<std::string_view> keys;
};

// The whole key tree; doc/config.md documents each of these (a test checks it).
const std::vector<SectionKeys>& Schema() {
  static const std::vector<SectionKeys> schema = {
      {"",
       {"node", "tpm", "ima", "appraisal", "benchmarks", "store", "http", "audit", "watch", "log", "sinks"}},
      {"node", {"name", "root"}},
      {"tpm", {"tcti", "banks", "ak_context", "quote_interval"}},
      {"ima",
       {"securityfs", "poll_interval", "pcrs", "extend_grace", "measures_module_loads", "recheck_list"}},
      {"appraisal", {"allow_lists", "certificates"}},
      {"benchmarks", {"dir", "enabled"}},
      {"benchmarks.enabled[]", {"id", "level", "profile"}},
      {"store", {"path", "retention"}},
      {"store.retention",
       {"verdict_history", "resolved_findings", "quotes", "report_snapshots", "delivered_outbox"}},
      {"http", {"listen", "token_file", "metrics_require_token"}},
      {"audit", {"source", "file"}},
      {"watch", {"enabled", "debounce"}},
      {"log", {"format", "level"}},
      {"sinks[]", {"type", "name"}},
      {"sinks[webhook]",
       {"type", "name", "url", "headers", "bearer_token_file", "ca_bundle", "client_cert", "client_key",
        "connect_timeout", "timeout", "backoff_initial", "backoff_max"}},
      {"sinks[file]", {"type", "name", "dir", "retention"}},
      {"sinks[syslog]",
       {"type", "name", "address", "transport", "format", "ca_bundle", "client_cert", "client_key",
        "facility", "app_name", "connect_timeout", "backoff_initial", "backoff_max"}},
  };
  return schema;
}

const std::vector<std::string_view>& KeysOf(std::string_view section) {
  for (const SectionKeys& s : Schema()) {
    if (s.section == section) return s.keys;
  }
  static const std::vector<std::string_view> none;
  return none;
}

std::string Join(std::string_view section, std::string_view key) {
  return section.empty() ? std::string(key) : std::string(section) + "." + std::string(key);
}

// Levenshtein distance counting a swap of neighbours as one edit ("tmp" is one from "tpm").
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] =
          std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// A close spelling in the same section, or the same name in another section.
std::optional<std::string> Suggest(std::string_view schema_section, std::string_view path_section,
                                   std::string_view key) {
  if (key.size() > 64) return std::nullopt;  // not a typo, and the distance table would be large
  size_t best = key.size() > 3 ? 3 : 2;
  std::optional<std::string> suggestion;
  for (std::string_view candidate : KeysOf(schema_section)) {
    size_t d = EditDistance(key, candidate);
    if (d < best) {
      best = d;
      suggestion = Join(path_section, candidate);
    }
  }
  if (suggestion) return suggestion;
  for (const SectionKeys& s : Schema()) {
    if (s.section.find('[') != std::string_view::npos) continue;
    if (std::find(s.keys.begin(), s.keys.end(), key) != s.keys.end()) return Join(s.section, key);
  }
  return std::nullopt;
}

// Input bytes in messages (values, yaml-cpp's own complaints) become printable UTF-8.
std::string Printable(std::string_view text) {
  std::string out;
  for (char ch : Utf8OrEscaped(text)) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += ch;
    }
  }
  return out;
}

// Values quoted in messages are cut short: the input may be anything.
std::string Quote(std::string_view text) {
  constexpr size_t kMax = 60;
  return "\"" + Printable(text.substr(0, kMax)) + (text.size() > kMax ? "…\"" : "\"");
}

std::string Got(const YAML::Node& node) {
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a sequence";
  if (node.IsNull()) return "nothing";
  return Quote(node.Scalar());
}

// "1500ms", "90s", "5m", "2h", "3d": the largest unit that divides the value.
std::string DurationText(milliseconds d) {
  constexpr std::pair<int64_t, std::string_view> kUnits[] = {
      {86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}};
  int64_t ms = d.count();
  for (const auto& [size, unit] : kUnits) {
    if (ms != 0 && ms % size == 0) return std::to_string(ms / size) + std::string(unit);
  }
  return std::to_string(ms) + "ms";
}

bool IsAsciiDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<uint64_t> ParseWhole(std::string_view s) {
  if (!IsAsciiDigits(s)) return std::nullopt;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<uint32_t> ParseHex32(std::string_view s) {
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

bool IsHostname(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  size_t start = 0;
  while (start <= host.size()) {
    size_t dot = host.find('.', start);
    std::string_view label =
        host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok) return false;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

// "" when listen is host:port (IPv4, [IPv6] or a hostname; port 0-65535), else why not.
std::string ListenProblem(std::string_view listen) {
  std::string_view host, port;
  if (listen.starts_with('[')) {
    size_t close = listen.find("]:");
    if (close == std::string_view::npos) return "expected [ipv6]:port";
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
    in6_addr addr6{};
    if (inet_pton(AF_INET6, std::string(host).c_str(), &addr6) != 1)
      return "not an IPv6 address: " + Quote(host);
  } else {
    size_t colon = listen.rfind(':');
    if (colon == std::string_view::npos) return "expected host:port";
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return "put an IPv6 address in brackets, like [::1]:9464";
    if (host.empty()) return "missing host (0.0.0.0 listens on every IPv4 address)";
    bool numeric =
        std::all_of(host.begin(), host.end(), [](char c) { return c == '.' || (c >= '0' && c <= '9'); });
    in_addr addr{};
    if (numeric && inet_pton(AF_INET, std::string(host).c_str(), &addr) != 1) {
      return "not an IPv4 address: " + Quote(host);
    }
    if (!numeric && !IsHostname(host)) return "not a host name: " + Quote(host);
  }
  auto number = ParseWhole(port);
  if (!number || port.size() > 5 || *number > 65535)
    return "port must be a number 0-65535, got " + Quote(port);
  return "";
}

bool IsBenchmarkId(std::string_view id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
  });
}

bool HasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c < 0x20 || c == 0x7f;
  });
}

std::string Hostname() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "localhost";
  return Utf8OrEscaped(name);
}

// Where a second document starts, if the text has one. YAML::LoadAll would say, but it loops
// forever on some malformed input (yaml-cpp 0.7), so the parser is asked for two documents only.
std::optional<YAML::Mark> SecondDocument(std::string_view text) {
  class DocumentStarts : public YAML::EventHandler {
   public:
    void OnDocumentStart(const YAML::Mark& mark) override { last = mark; }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
    YAML::Mark last;
  };
  std::istringstream in{std::string(text)};
  YAML::Parser parser(in);
  DocumentStarts starts;
  if (!parser.HandleNextDocument(starts) || !parser.HandleNextDocument(starts)) return std::nullopt;
  return starts.last;
}

// Walks the document; the first error wins.
class Parser {
 public:
  explicit Parser(std::string source) : source_(std::move(source)) {
    size_t slash = source_.rfind('/');
    if (slash != std::string::npos) base_dir_ = source_.substr(0, slash == 0 ? 1 : slash);
  }

  Result<DaemonConfig> Parse(std::string_view text) {
    YAML::Node root;
    std::optional<YAML::Mark> second;
    try {
      root = YAML::Load(std::string(text));
      second = SecondDocument(text);
    } catch (const YAML::Exception& e) {
      return InvalidInput("malformed YAML: " + Printable(e.msg), At(e.mark));
    } catch (const std::exception& e) {
      return InvalidInput("malformed YAML: " + Printable(e.what()), {.source = source_});
    }
    if (second)
      return InvalidInput("a config file holds one YAML document; a second one starts here", At(*second));
    DaemonConfig c;
    // In a Kubernetes pod the host name is the pod's: the DaemonSet passes the node's name
    // (downward API) in the environment, so one config serves every node.
    if (const char* env = std::getenv(kNodeNameVariable); env && *env) {
      c.node_name = env;
      if (!IsValidUtf8(c.node_name) || HasControl(c.node_name)) {
        return InvalidInput(
            std::string(kNodeNameVariable) + ": must be UTF-8 text without control characters",
            {.source = source_});
      }
    } else {
      c.node_name = Hostname();
    }
    c.benchmarks_dir = compliance::DefaultBenchmarksDir();
    try {
      if (!ParseRoot(root, c)) return *error_;
    } catch (const YAML::Exception& e) {
      return InvalidInput("unexpected YAML structure: " + Printable(e.msg), At(e.mark));
    }
    return c;
  }

 private:
  using Fields = std::map<std::string, YAML::Node, std::less<>>;

  Position At(const YAML::Mark& mark) const {
    Position p{.source = source_};
    if (!mark.is_null() && mark.line >= 0 && mark.column >= 0) {
      p.line = static_cast<uint32_t>(mark.line + 1);
      p.column = static_cast<uint32_t>(mark.column + 1);
    }
    return p;
  }
  // An empty value's mark is wherever the next token starts; its key's is where the reader looks.
  YAML::Mark MarkOf(const YAML::Node& node) const {
    if (node.IsNull()) {
      for (const auto& [value, key_mark] : null_values_) {
        if (value.is(node)) return key_mark;
      }
    }
    return node.Mark();
  }
  bool Fail(const YAML::Node& node, std::string_view path, const std::string& message) {
    if (!error_)
      error_ = InvalidInput(path.empty() ? message : std::string(path) + ": " + message, At(MarkOf(node)));
    return false;
  }

  // A mapping's keys, each checked against the schema. An empty value (`tpm:`) is an empty
  // mapping, so every key can be commented out.
  bool Map(const YAML::Node& node, std::string_view path, std::string_view schema_section, Fields& out) {
    if (node.IsNull()) return true;
    if (!node.IsMap()) return Fail(node, path, "expected a mapping, got " + Got(node));
    for (auto it = node.begin(); it != node.end(); ++it) {
      const YAML::Node key = it->first;  // copies: the iterator yields a temporary pair
      const YAML::Node value = it->second;
      if (!key.IsScalar()) return Fail(key, path, "keys must be plain names, got " + Got(key));
      const std::string& name = key.Scalar();
      const auto& allowed = KeysOf(schema_section);
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        std::string quoted = Quote(name);
        std::string shown = Join(path, std::string_view(quoted).substr(1, quoted.size() - 2));
        auto hint = Suggest(schema_section, path, name);
        std::string message = "unknown key";
        if (hint) {
          message += "; did you mean " + *hint + "?";
        } else {
          message += " (expected one of:";
          for (std::string_view k : allowed) message += " " + std::string(k);
          message += ")";
        }
        return Fail(key, shown, message);
      }
      if (out.count(name)) return Fail(key, Join(path, name), "duplicate key");
      if (value.IsNull()) null_values_.emplace_back(value, key.Mark());
      out.emplace(name, value);
    }
    return true;
  }

  const YAML::Node* Find(const Fields& f, std::string_view key) {
    auto it = f.find(key);
    return it == f.end() ? nullptr : &it->second;
  }

  bool ScalarText(const YAML::Node& n, std::string_view path, std::string_view what, std::string& out) {
    if (!n.IsScalar()) return Fail(n, path, "expected " + std::string(what) + ", got " + Got(n));
    out = n.Scalar();
    return true;
  }

  // can_be_empty: "" has a meaning (a feature off) rather than being a mistake.
  bool String(const Fields& f, std::string_view section, std::string_view key, std::string& out,
              bool can_be_empty = false) {
    const YAML::Node* n = Find(f, key);
    if (!n) return true;
    return StringValue(*n, Join(section, key), out, can_be_empty);
  }
  bool StringValue(const YAML::Node& n, const std::string& path, std::string& out,
                   bool can_be_empty = false) {
    std::string text;
    if (!ScalarText(n, path, "a string", text)) return false;
    if (!can_be_empty && text.empty()) return Fail(n, path, "must not be empty");
    if (HasControl(text)) return Fail(n, path, "must not contain control characters");
    out = std::move(text);
    return true;
  }

  std::string Resolve(const std::string& path) const {
    if (path.empty() || path.starts_with('/') || base_dir_.empty()) return path;
    return base_dir_ + (base_dir_.ends_with('/') ? "" : "/") + path;
  }
  bool Path(const Fields& f, std::string_view section, std::string_view key, std::string& out,
            bool can_be_empty = false) {
    if (!String(f, section, key, out, can_be_empty)) return false;
    out = Resolve(out);
    return true;
  }

  bool Bool(const Fields& f, std::string_view section, std::string_view key, bool& out) {
    const YAML::Node* n = Find(f, key);
    if (!n) return true;
    auto b = n->IsScalar() ? compliance::ParseBoolWord(n->Scalar()) : std::nullopt;
    if (!b) return Fail(*n, Join(section, key), "expected true or false, got " + Got(*n));
    out = *b;
    return true;
  }

  bool Whole(const YAML::Node& n, const std::string& path, uint64_t min, uint64_t max, uint64_t& out) {
    auto v = n.IsScalar() ? ParseWhole(n.Scalar()) : std::nullopt;
    if (!v) return Fail(n, path, "expected a whole number, got " + Got(n));
    if (*v < min || *v > max) {
      return Fail(n, path, "must be " + std::to_string(min) + "-" + std::to_string(max) + ", got " + Got(n));
    }
    out = *v;
    return true;
  }

  bool Duration(const Fields& f, std::string_view section, std::string_view key, milliseconds min,
                milliseconds max, milliseconds& out) {
    const YAML::Node* n = Find(f, key);
    if (!n) return true;
    std::string path = Join(section, key);
    auto d = n->IsScalar() ? ParseDuration(n->Scalar()) : std::nullopt;
    if (!d) return Fail(*n, path, "expected a duration like 5m, got " + Got(*n));
    if (*d < min) return Fail(*n, path, "must be at least " + DurationText(min) + ", got " + Got(*n));
    if (*d > max) return Fail(*n, path, "must be at most " + DurationText(max) + ", got " + Got(*n));
    out = *d;
    return true;
  }
  bool Seconds(const Fields& f, std::string_view section, std::string_view key, std::chrono::seconds& out) {
    // Capped so that now() minus the period stays inside system_clock's range.
    milliseconds d = out;
    if (!Duration(f, section, key, std::chrono::seconds(1), std::chrono::days(36500), d)) return false;
    if (d.count() % 1000 != 0) return Fail(*Find(f, key), Join(section, key), "must be whole seconds");
    out = std::chrono::duration_cast<std::chrono::seconds>(d);
    return true;
  }

  // A sequence, or one scalar standing for a one-item list; empty means none.
  bool List(const Fields& f, std::string_view section, std::string_view key, std::vector<YAML::Node>& out) {
    const YAML::Node* n = Find(f, key);
    if (!n || n->IsNull()) return true;
    if (n->IsScalar()) {
      out.push_back(*n);
      return true;
    }
    if (!n->IsSequence()) return Fail(*n, Join(section, key), "expected a list, got " + Got(*n));
    for (const YAML::Node& item : *n) out.push_back(item);
    return true;
  }
  static std::string Item(std::string_view path, size_t i) {
    return std::string(path) + "[" + std::to_string(i) + "]";
  }

  bool PathList(const Fields& f, std::string_view section, std::string_view key,
                std::vector<std::string>& out) {
    std::vector<YAML::Node> items;
    if (!List(f, section, key, items)) return false;
    for (size_t i = 0; i < items.size(); ++i) {
      std::string path;
      if (!StringValue(items[i], Item(Join(section, key), i), path)) return false;
      out.push_back(Resolve(path));
    }
    return true;
  }

  bool ParseRoot(const YAML::Node& root, DaemonConfig& c) {
    Fields f;
    if (!Map(root, "", "", f)) return false;
    auto section = [&](std::string_view name, auto parse) {
      const YAML::Node* n = Find(f, name);
      if (!n) return true;
      Fields sub;
      return Map(*n, name, name, sub) && parse(sub);
    };
    return section("node", [&](const Fields& s) { return ParseNode(s, c); }) &&
           section("tpm", [&](const Fields& s) { return ParseTpm(s, c); }) &&
           section("ima", [&](const Fields& s) { return ParseIma(s, c); }) &&
           section("appraisal",
                   [&](const Fields& s) {
                     return PathList(s, "appraisal", "allow_lists", c.allow_lists) &&
                            PathList(s, "appraisal", "certificates", c.certificates);
                   }) &&
           section("benchmarks", [&](const Fields& s) { return ParseBenchmarks(s, c); }) &&
           section("store", [&](const Fields& s) { return ParseStore(s, c); }) &&
           section("http", [&](const Fields& s) { return ParseHttp(s, c); }) &&
           section("audit", [&](const Fields& s) { return ParseAudit(s, c); }) &&
           section("watch",
                   [&](const Fields& s) {
                     return Bool(s, "watch", "enabled", c.watch_enabled) &&
                            Duration(s, "watch", "debounce", milliseconds(0), std::chrono::minutes(10),
                                     c.watch_debounce);
                   }) &&
           section("log", [&](const Fields& s) { return ParseLog(s, c); }) && ParseSinks(f, c);
  }

  bool ParseNode(const Fields& f, DaemonConfig& c) {
    if (!String(f, "node", "name", c.node_name)) return false;
    if (!IsValidUtf8(c.node_name)) return Fail(*Find(f, "name"), "node.name", "must be UTF-8 text");
    return Path(f, "node", "root", c.root);
  }

  bool ParseTpm(const Fields& f, DaemonConfig& c) {
    if (!String(f, "tpm", "tcti", c.tcti)) return false;
    if (const YAML::Node* n = Find(f, "tcti");
        n && (c.tcti.front() == ':' || c.tcti.find(' ') != std::string::npos)) {
      return Fail(*n, "tpm.tcti", "expected a TCTI like device:/dev/tpmrm0, got " + Got(*n));
    }
    std::vector<YAML::Node> banks;
    if (!List(f, "tpm", "banks", banks)) return false;
    for (size_t i = 0; i < banks.size(); ++i) {
      std::string path = Item("tpm.banks", i), name;
      if (!ScalarText(banks[i], path, "a bank name", name)) return false;
      auto algo = ima::HashAlgoFromName(name);
      if (!algo || std::find(ima::kPcrBanks.begin(), ima::kPcrBanks.end(), *algo) == ima::kPcrBanks.end()) {
        return Fail(banks[i], path,
                    "expected one of sha1, sha256, sha384, sha512, sm3_256, got " + Got(banks[i]));
      }
      if (std::find(c.banks.begin(), c.banks.end(), *algo) != c.banks.end()) {
        return Fail(banks[i], path, "bank " + Got(banks[i]) + " is listed twice");
      }
      c.banks.push_back(*algo);
    }
    // A persistent handle (0x81xxxxxx) stays as written; anything else is a context file.
    if (!String(f, "tpm", "ak_context", c.ak_context, true)) return false;
    if (c.ak_context.starts_with("0x") || c.ak_context.starts_with("0X")) {
      auto handle = ParseHex32(c.ak_context.substr(2));
      if (c.ak_context.size() != 10 || !handle || (*handle >> 24) != 0x81) {
        return Fail(*Find(f, "ak_context"), "tpm.ak_context",
                    "expected a persistent handle 0x81000000-0x81ffffff or a context file, got " +
                        Got(*Find(f, "ak_context")));
      }
    } else {
      c.ak_context = Resolve(c.ak_context);
    }
    return Duration(f, "tpm", "quote_interval", std::chrono::seconds(1), std::chrono::hours(24),
                    c.quote_interval);
  }

  bool ParseIma(const Fields& f, DaemonConfig& c) {
    if (!Path(f, "ima", "securityfs", c.securityfs) ||
        !Duration(f, "ima", "poll_interval", milliseconds(50), std::chrono::hours(1), c.poll_interval) ||
        !Duration(f, "ima", "extend_grace", milliseconds(0), std::chrono::minutes(5), c.extend_grace) ||
        !Bool(f, "ima", "measures_module_loads", c.measures_module_loads)) {
      return false;
    }
    if (const YAML::Node* n = Find(f, "recheck_list")) {
      using Recheck = DaemonConfig::RecheckList;
      static constexpr std::pair<std::string_view, Recheck> kModes[] = {
          {"auto", Recheck::kAuto}, {"always", Recheck::kAlways}, {"never", Recheck::kNever}};
      std::string name;
      if (!ScalarText(*n, "ima.recheck_list", "auto, always or never", name)) return false;
      auto it =
          std::find_if(std::begin(kModes), std::end(kModes), [&](const auto& m) { return m.first == name; });
      if (it == std::end(kModes))
        return Fail(*n, "ima.recheck_list", "expected auto, always or never, got " + Got(*n));
      c.recheck_list = it->second;
    }
    if (const YAML::Node* n = Find(f, "pcrs")) {
      std::vector<YAML::Node> pcrs;
      if (!List(f, "ima", "pcrs", pcrs)) return false;
      if (pcrs.empty()) return Fail(*n, "ima.pcrs", "must list at least one PCR");
      c.ima_pcrs.clear();
      for (size_t i = 0; i < pcrs.size(); ++i) {
        uint64_t pcr = 0;
        if (!Whole(pcrs[i], Item("ima.pcrs", i), 0, 23, pcr)) return false;
        if (std::find(c.ima_pcrs.begin(), c.ima_pcrs.end(), pcr) != c.ima_pcrs.end()) {
          return Fail(pcrs[i], Item("ima.pcrs", i), "PCR " + std::to_string(pcr) + " is listed twice");
        }
        c.ima_pcrs.push_back(static_cast<uint32_t>(pcr));
      }
    }
    return true;
  }

  bool ParseBenchmarks(const Fields& f, DaemonConfig& c) {
    if (!Path(f, "benchmarks", "dir", c.benchmarks_dir)) return false;
    std::vector<YAML::Node> items;
    if (!List(f, "benchmarks", "enabled", items)) return false;
    for (size_t i = 0; i < items.size(); ++i) {
      std::string path = Item("benchmarks.enabled", i);
      const YAML::Node& item = items[i];
      BenchmarkConfig b{.where = At(item.Mark())};
      const YAML::Node* id_node = &item;
      Fields e;
      if (item.IsMap()) {
        if (!Map(item, path, "benchmarks.enabled[]", e)) return false;
        id_node = Find(e, "id");
        if (!id_node) return Fail(item, path, "missing id");
        if (const YAML::Node* level = Find(e, "level")) {
          uint64_t v = 0;
          if (!Whole(*level, path + ".level", 1, 9, v)) return false;
          b.level = static_cast<int>(v);
        }
        if (const YAML::Node* profile = Find(e, "profile")) {
          std::string p;
          if (!StringValue(*profile, path + ".profile", p)) return false;
          b.profile = std::move(p);
        }
      } else if (!item.IsScalar()) {
        return Fail(item, path,
                    "expected a benchmark id or a mapping with id, level, profile, got " + Got(item));
      }
      std::string id_path = item.IsMap() ? path + ".id" : path;
      if (!ScalarText(*id_node, id_path, "a benchmark id", b.id)) return false;
      if (!IsBenchmarkId(b.id)) {
        return Fail(*id_node, id_path,
                    "expected a benchmark id like cis-kubernetes-v1.7.1, got " + Got(*id_node));
      }
      for (const BenchmarkConfig& other : c.benchmarks) {
        if (other.id == b.id)
          return Fail(*id_node, id_path, "benchmark " + Quote(b.id) + " is enabled twice");
      }
      c.benchmarks.push_back(std::move(b));
    }
    return true;
  }

  bool ParseStore(const Fields& f, DaemonConfig& c) {
    if (!Path(f, "store", "path", c.store_path)) return false;
    const YAML::Node* n = Find(f, "retention");
    if (!n) return true;
    Fields r;
    constexpr std::string_view kSection = "store.retention";
    RetentionConfig& out = c.retention;
    if (!Map(*n, kSection, kSection, r) || !Seconds(r, kSection, "verdict_history", out.verdict_history) ||
        !Seconds(r, kSection, "resolved_findings", out.resolved_findings) ||
        !Seconds(r, kSection, "quotes", out.quotes) ||
        !Seconds(r, kSection, "delivered_outbox", out.delivered_outbox)) {
      return false;
    }
    if (const YAML::Node* snapshots = Find(r, "report_snapshots")) {
      uint64_t v = 0;
      if (!Whole(*snapshots, "store.retention.report_snapshots", 1, 1000000, v)) return false;
      out.report_snapshots = static_cast<size_t>(v);
    }
    return true;
  }

  bool ParseHttp(const Fields& f, DaemonConfig& c) {
    if (!String(f, "http", "listen", c.http_listen, true)) return false;
    if (const YAML::Node* n = Find(f, "listen"); n && !c.http_listen.empty()) {
      std::string problem = ListenProblem(c.http_listen);
      if (!problem.empty()) return Fail(*n, "http.listen", problem);
    }
    if (!Path(f, "http", "token_file", c.token_file, true) ||
        !Bool(f, "http", "metrics_require_token", c.metrics_require_token)) {
      return false;
    }
    if (c.metrics_require_token && c.token_file.empty()) {
      return Fail(*Find(f, "metrics_require_token"), "http.metrics_require_token",
                  "needs http.token_file (without a token nobody could scrape /metrics)");
    }
    return true;
  }

  bool ParseAudit(const Fields& f, DaemonConfig& c) {
    if (const YAML::Node* n = Find(f, "source")) {
      using Kind = DaemonConfig::AuditSourceKind;
      static constexpr std::pair<std::string_view, Kind> kKinds[] = {
          {"none", Kind::kNone}, {"auto", Kind::kAuto}, {"netlink", Kind::kNetlink}, {"file", Kind::kFile}};
      std::string name;
      if (!ScalarText(*n, "audit.source", "none, auto, netlink or file", name)) return false;
      auto it =
          std::find_if(std::begin(kKinds), std::end(kKinds), [&](const auto& k) { return k.first == name; });
      if (it == std::end(kKinds))
        return Fail(*n, "audit.source", "expected none, auto, netlink or file, got " + Got(*n));
      c.audit_source = it->second;
    }
    return Path(f, "audit", "file", c.audit_log);
  }

  bool ParseLog(const Fields& f, DaemonConfig& c) {
    if (const YAML::Node* n = Find(f, "format")) {
      auto format = n->IsScalar() ? LogFormatFromName(n->Scalar()) : std::nullopt;
      if (!format) return Fail(*n, "log.format", "expected json or logfmt, got " + Got(*n));
      c.log_format = *format;
    }
    if (const YAML::Node* n = Find(f, "level")) {
      auto level = n->IsScalar() ? LogLevelFromName(n->Scalar()) : std::nullopt;
      if (!level) return Fail(*n, "log.level", "expected debug, info, warn or error, got " + Got(*n));
      c.log_level = *level;
    }
    return true;
  }

  bool ParseSinks(const Fields& f, DaemonConfig& c) {
    std::vector<YAML::Node> items;
    if (const YAML::Node* n = Find(f, "sinks"); n && !n->IsNull() && !n->IsSequence()) {
      return Fail(*n, "sinks", "expected a list, got " + Got(*n));
    }
    if (!List(f, "", "sinks", items)) return false;
    for (size_t i = 0; i < items.size(); ++i) {
      std::string path = Item("sinks", i);
      const YAML::Node& item = items[i];
      if (!item.IsMap()) return Fail(item, path, "expected a mapping with a type, got " + Got(item));
      SinkConfig sink{.where = At(item.Mark())};
      sink_item_.reset(item);
      std::optional<YAML::Node> type, name;  // optional: assigning a YAML::Node would write through it
      for (auto it = item.begin(); it != item.end(); ++it) {
        const YAML::Node key = it->first;  // a copy, as in Map
        if (!key.IsScalar()) return Fail(key, path, "keys must be plain names, got " + Got(key));
        if (key.Scalar() != "type" && key.Scalar() != "name") continue;
        std::optional<YAML::Node>& slot = key.Scalar() == "type" ? type : name;
        if (slot) return Fail(key, path + "." + key.Scalar(), "duplicate key");
        slot.emplace(it->second);
      }
      if (!type) return Fail(item, path, "missing type (webhook, file or syslog)");
      if (!ScalarText(*type, path + ".type", "a sink type", sink.type)) return false;
      if (sink.type != "webhook" && sink.type != "file" && sink.type != "syslog") {
        return Fail(*type, path + ".type", "expected webhook, file or syslog, got " + Got(*type));
      }
      sink.name = sink.type;
      if (name && !StringValue(*name, path + ".name", sink.name)) return false;
      for (const SinkConfig& other : c.sinks) {
        if (other.name == sink.name) {
          return Fail(name ? *name : item, path,
                      "a second sink named " + Quote(sink.name) + "; give each a distinct name");
        }
      }
      Fields keys;
      if (!Map(item, path, "sinks[" + sink.type + "]", keys)) return false;
      bool parsed = sink.type == "webhook" ? ParseWebhook(keys, path, sink)
                    : sink.type == "file"  ? ParseFileDrop(keys, path, sink)
                                           : ParseSyslog(keys, path, sink);
      if (!parsed) return false;
      c.sinks.push_back(std::move(sink));
    }
    return true;
  }

  bool Backoff(const Fields& f, const std::string& path, const YAML::Node& item, sinks::BackoffOptions& out) {
    if (!Duration(f, path, "backoff_initial", milliseconds(10), std::chrono::hours(1), out.initial) ||
        !Duration(f, path, "backoff_max", milliseconds(10), std::chrono::days(1), out.max)) {
      return false;
    }
    if (out.max < out.initial) {
      const YAML::Node* n = Find(f, "backoff_max");
      return Fail(n ? *n : item, path + ".backoff_max", "must not be less than backoff_initial");
    }
    return true;
  }

  // client_cert and client_key come together; the files must be named, not read here.
  bool ClientCertificate(const Fields& f, const std::string& path, std::string& ca, std::string& cert,
                         std::string& key) {
    if (!Path(f, path, "ca_bundle", ca) || !Path(f, path, "client_cert", cert) ||
        !Path(f, path, "client_key", key)) {
      return false;
    }
    if (cert.empty() != key.empty()) {
      const char* missing = cert.empty() ? "client_cert" : "client_key";
      const YAML::Node* given = Find(f, cert.empty() ? "client_key" : "client_cert");
      return Fail(*given, path,
                  std::string("mTLS needs both client_cert and client_key; ") + missing + " is missing");
    }
    return true;
  }

  bool ParseWebhook(const Fields& f, const std::string& path, SinkConfig& sink) {
    sinks::WebhookOptions o;
    const YAML::Node* url = Find(f, "url");
    if (!url) return Fail(sink_item_, path, "missing url (the receiver's http:// or https:// address)");
    if (!StringValue(*url, path + ".url", o.url)) return false;
    const bool https = o.url.starts_with("https://");
    if (!https && !o.url.starts_with("http://"))
      return Fail(*url, path + ".url", "expected an http:// or https:// URL, got " + Quote(o.url));
    const std::string_view rest = std::string_view(o.url).substr(https ? 8 : 7);
    if (rest.empty() || rest.front() == '/' || rest.find(' ') != std::string_view::npos)
      return Fail(*url, path + ".url", "expected a host after the scheme, got " + Quote(o.url));
    if (const YAML::Node* headers = Find(f, "headers"); headers && !headers->IsNull()) {
      if (!headers->IsMap())
        return Fail(*headers, path + ".headers", "expected a mapping of header: value, got " + Got(*headers));
      for (auto it = headers->begin(); it != headers->end(); ++it) {
        const YAML::Node name = it->first;
        const YAML::Node value = it->second;
        const std::string key_path = path + ".headers";
        std::string header, text;
        if (!ScalarText(name, key_path, "a header name", header)) return false;
        const bool token = !header.empty() && std::all_of(header.begin(), header.end(), [](char ch) {
          return std::isalnum(static_cast<unsigned char>(ch)) ||
                 std::string_view("!#$%&'*+-.^_`|~").find(ch) != std::string_view::npos;
        });
        if (!token) return Fail(name, key_path, "not an HTTP header name: " + Quote(header));
        const std::string lower = [&] {
          std::string l = header;
          for (char& ch : l) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          return l;
        }();
        if (lower == "content-type" || lower == "content-length" || lower == "idempotency-key")
          return Fail(name, key_path + "." + header, "set by the sink itself");
        if (!StringValue(value, key_path + "." + header, text, true)) return false;
        o.headers.emplace_back(header, text);
        if (lower == "authorization") has_authorization_ = true;
      }
    }
    if (!Path(f, path, "bearer_token_file", o.bearer_token_file)) return false;
    if (!o.bearer_token_file.empty() && has_authorization_) {
      return Fail(*Find(f, "bearer_token_file"), path + ".bearer_token_file",
                  "headers already set Authorization; use one or the other");
    }
    has_authorization_ = false;
    if (!ClientCertificate(f, path, o.ca_bundle, o.client_cert, o.client_key)) return false;
    if (!https && (!o.ca_bundle.empty() || !o.client_cert.empty())) {
      return Fail(*Find(f, o.ca_bundle.empty() ? "client_cert" : "ca_bundle"), path,
                  "ca_bundle and client_cert need an https:// url");
    }
    if (!Duration(f, path, "connect_timeout", milliseconds(100), std::chrono::minutes(5),
                  o.connect_timeout) ||
        !Duration(f, path, "timeout", milliseconds(100), std::chrono::minutes(30), o.timeout) ||
        !Backoff(f, path, sink_item_, o.backoff)) {
      return false;
    }
    sink.options = std::move(o);
    return true;
  }

  bool ParseFileDrop(const Fields& f, const std::string& path, SinkConfig& sink) {
    sinks::FileDropOptions o;
    if (!Find(f, "dir")) return Fail(sink_item_, path, "missing dir (where the files are written)");
    if (!Path(f, path, "dir", o.dir) || !Seconds(f, path, "retention", o.retention)) return false;
    sink.options = std::move(o);
    return true;
  }

  bool ParseSyslog(const Fields& f, const std::string& path, SinkConfig& sink) {
    sinks::SyslogOptions o;
    const YAML::Node* address = Find(f, "address");
    if (!address) return Fail(sink_item_, path, "missing address (host:port of the syslog receiver)");
    std::string text;
    if (!StringValue(*address, path + ".address", text)) return false;
    if (std::string problem = ListenProblem(text); !problem.empty())
      return Fail(*address, path + ".address", problem);
    const size_t colon = text.rfind(':');
    o.host = text.substr(0, colon);
    if (o.host.starts_with('[')) o.host = o.host.substr(1, o.host.size() - 2);
    o.port = static_cast<uint16_t>(*ParseWhole(std::string_view(text).substr(colon + 1)));
    if (o.port == 0) return Fail(*address, path + ".address", "port 0 cannot be connected to");
    if (const YAML::Node* n = Find(f, "transport")) {
      const std::string value = n->IsScalar() ? n->Scalar() : "";
      if (value != "tcp" && value != "tls")
        return Fail(*n, path + ".transport", "expected tcp or tls, got " + Got(*n));
      o.transport =
          value == "tls" ? sinks::SyslogOptions::Transport::kTls : sinks::SyslogOptions::Transport::kTcp;
    }
    if (const YAML::Node* n = Find(f, "format")) {
      const std::string value = n->IsScalar() ? n->Scalar() : "";
      if (value != "json" && value != "cef")
        return Fail(*n, path + ".format", "expected json or cef, got " + Got(*n));
      o.format = value == "cef" ? sinks::SyslogOptions::Format::kCef : sinks::SyslogOptions::Format::kJson;
    }
    if (!ClientCertificate(f, path, o.ca_bundle, o.client_cert, o.client_key)) return false;
    if (o.transport != sinks::SyslogOptions::Transport::kTls &&
        (!o.ca_bundle.empty() || !o.client_cert.empty())) {
      return Fail(*Find(f, o.ca_bundle.empty() ? "client_cert" : "ca_bundle"), path,
                  "ca_bundle and client_cert need transport: tls");
    }
    if (const YAML::Node* n = Find(f, "facility")) {
      uint64_t facility = 0;
      if (!Whole(*n, path + ".facility", 0, 23, facility)) return false;
      o.facility = static_cast<int>(facility);
    }
    if (!String(f, path, "app_name", o.app_name)) return false;
    if (o.app_name.size() > 48 || o.app_name.find(' ') != std::string::npos)
      return Fail(*Find(f, "app_name"), path + ".app_name", "must be at most 48 characters without spaces");
    if (!Duration(f, path, "connect_timeout", milliseconds(100), std::chrono::minutes(5),
                  o.connect_timeout) ||
        !Backoff(f, path, sink_item_, o.backoff)) {
      return false;
    }
    sink.options = std::move(o);
    return true;
  }

  YAML::Node sink_item_;  // the sink being parsed, for errors about a key it lacks
  bool has_authorization_ = false;
  std::string source_;
  std::string base_dir_;
  std::vector<std::pair<YAML::Node, YAML::Mark>> null_values_;
  std::optional<Error> error_;
};

}  // namespace

Result<DaemonConfig> ParseConfig(std::string_view yaml_text, std::string source_name) {
  return Parser(std::move(source_name)).Parse(yaml_text);
}

Result<DaemonConfig> LoadConfig(Env& env, const std::string& path) {
  auto text = env.ReadFile(path, kMaxConfigBytes);
  if (!text) return text.error();
  return ParseConfig(*text, path);
}

std::vector<std::string> ConfigKeyPaths() {
  std::vector<std::string> paths;
  for (const SectionKeys& s : Schema()) {
    for (std::string_view key : s.keys) paths.push_back(Join(s.section, key));
  }
  return paths;
}

}  // namespace imawatch::daemon
