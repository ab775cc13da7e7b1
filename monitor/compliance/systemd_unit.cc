#include "monitor/compliance/systemd_unit.h"

#include <cctype>

#include "monitor/compliance/setting_value.h"
#include "monitor/compliance/value_parse.h"

namespace imawatch::compliance {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Logical lines: a trailing backslash joins the next physical line (with a space).
template <typename F>
void ForEachLogicalLine(std::string_view text, F&& fn) {
  uint32_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    std::string logical;
    uint32_t first = line_no + 1;
    for (;;) {
      size_t end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      std::string_view part = text.substr(pos, end - pos);
      if (!part.empty() && part.back() == '\r') part.remove_suffix(1);
      ++line_no;
      pos = end + 1;
      std::string_view trimmed = Trim(part);
      // Comment lines inside a continuation are skipped, as systemd does.
      if (!logical.empty() && !trimmed.empty() && (trimmed.front() == '#' || trimmed.front() == ';')) {
        if (pos >= text.size()) break;
        continue;
      }
      if (!part.empty() && part.back() == '\\' && pos < text.size()) {
        logical.append(part.substr(0, part.size() - 1)).push_back(' ');
        continue;
      }
      logical.append(part);
      break;
    }
    fn(std::string_view(logical), first);
  }
}

bool ValidEnvName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

char Unescape(char c) {
  switch (c) {
    case 'n':
      return '\n';
    case 't':
      return '\t';
    case 'r':
      return '\r';
    default:
      return c;
  }
}

}  // namespace

std::vector<std::string> SplitUnitWords(std::string_view text) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && IsSpace(text[i])) ++i;
    if (i >= text.size()) break;
    std::string word;
    char quote = 0;
    for (; i < text.size(); ++i) {
      char c = text[i];
      if (quote) {
        if (c == quote) {
          quote = 0;
        } else if (c == '\\' && i + 1 < text.size()) {
          word += Unescape(text[++i]);
        } else {
          word += c;
        }
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '\\' && i + 1 < text.size()) {
        word += Unescape(text[++i]);
      } else if (IsSpace(c)) {
        break;
      } else {
        word += c;
      }
    }
    words.push_back(std::move(word));
  }
  return words;
}

void ParseUnitFile(std::string_view text, const std::string& path, ServiceDirectives& d) {
  bool in_service = false;
  ForEachLogicalLine(text, [&](std::string_view raw, uint32_t line) {
    std::string_view l = Trim(raw);
    if (l.empty() || l.front() == '#' || l.front() == ';') return;
    if (l.front() == '[') {
      in_service = l == "[Service]";
      return;
    }
    if (!in_service) return;
    size_t eq = l.find('=');
    if (eq == std::string_view::npos) return;
    std::string_view key = Trim(l.substr(0, eq));
    std::string value(Trim(l.substr(eq + 1)));
    std::vector<UnitDirective>* list = key == "ExecStart"         ? &d.exec_start
                                       : key == "Environment"     ? &d.environment
                                       : key == "EnvironmentFile" ? &d.environment_files
                                                                  : nullptr;
    if (!list) return;
    if (value.empty()) {
      list->clear();
    } else {
      list->push_back({std::move(value), path, line});
    }
  });
}

void ApplyEnvironmentDirective(const UnitDirective& directive, Environment& env) {
  for (const std::string& word : SplitUnitWords(directive.value)) {
    size_t eq = word.find('=');
    if (eq == std::string::npos || !ValidEnvName(std::string_view(word).substr(0, eq))) continue;
    env[word.substr(0, eq)] = {word.substr(eq + 1), LineOrigin(directive.path, directive.line)};
  }
}

void ParseEnvironmentFile(std::string_view text, const std::string& path, Environment& env) {
  ForEachLogicalLine(text, [&](std::string_view raw, uint32_t line) {
    std::string_view l = Trim(raw);
    if (l.empty() || l.front() == '#' || l.front() == ';') return;
    size_t eq = l.find('=');
    if (eq == std::string_view::npos) return;
    std::string_view key = Trim(l.substr(0, eq));
    if (!ValidEnvName(key)) return;
    std::string_view rest = Trim(l.substr(eq + 1));
    std::string value;
    // Quoted parts are taken literally (with backslash escapes in double quotes), unquoted
    // whitespace runs collapse, as systemd's env-file parser does.
    char quote = 0;
    bool pending_space = false;
    for (size_t i = 0; i < rest.size(); ++i) {
      char c = rest[i];
      if (quote) {
        if (c == quote) {
          quote = 0;
        } else if (quote == '"' && c == '\\' && i + 1 < rest.size()) {
          value += rest[++i];
        } else {
          value += c;
        }
        continue;
      }
      if (c == '"' || c == '\'') {
        if (pending_space && !value.empty()) value += ' ';
        pending_space = false;
        quote = c;
      } else if (IsSpace(c)) {
        pending_space = true;
      } else {
        if (pending_space && !value.empty()) value += ' ';
        pending_space = false;
        if (c == '\\' && i + 1 < rest.size()) c = rest[++i];
        value += c;
      }
    }
    env[std::string(key)] = {std::move(value), LineOrigin(path, line)};
  });
}

std::vector<CommandArg> ExpandExecStart(const UnitDirective& exec_start, const Environment& env) {
  std::string where = "ExecStart at " + LineOrigin(exec_start.path, exec_start.line);
  std::vector<CommandArg> out;
  std::vector<std::string> words = SplitUnitWords(exec_start.value);
  for (size_t w = 0; w < words.size(); ++w) {
    std::string word = words[w];
    if (w == 0) {
      size_t skip = 0;
      while (skip < word.size() && std::string_view("-@:+!").find(word[skip]) != std::string_view::npos)
        ++skip;
      word.erase(0, skip);
    }
    if (word.size() > 1 && word.front() == '$' && ValidEnvName(std::string_view(word).substr(1))) {
      auto it = env.find(word.substr(1));
      if (it == env.end()) continue;
      for (std::string& part : SplitUnitWords(it->second.value)) {
        out.push_back({std::move(part), where + " via " + word + " from " + it->second.origin});
      }
      continue;
    }
    std::string expanded, via;
    for (size_t i = 0; i < word.size(); ++i) {
      if (word[i] == '$' && i + 1 < word.size() && word[i + 1] == '$') {
        expanded += '$';
        ++i;
        continue;
      }
      if (word[i] == '$' && i + 1 < word.size() && word[i + 1] == '{') {
        size_t close = word.find('}', i + 2);
        if (close != std::string::npos && ValidEnvName(std::string_view(word).substr(i + 2, close - i - 2))) {
          std::string name = word.substr(i + 2, close - i - 2);
          auto it = env.find(name);
          if (it != env.end()) {
            expanded += it->second.value;
            via += " via ${" + name + "} from " + it->second.origin;
          }
          i = close;
          continue;
        }
      }
      expanded += word[i];
    }
    out.push_back({std::move(expanded), where + via});
  }
  return out;
}

}  // namespace imawatch::compliance
