// imawatch's text allow list (doc/allowlist-format.md, "Native form"): sha256sum-like lines
// with an optional algorithm prefix and tags, plus @-directives for excludes and the Keylime
// sections, e.g.
//   sha256:<hex>  /usr/bin/kubelet  tags=cis-k8s:4.2.1
//   @exclude glob /var/log/**
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "monitor/appraise/allow_list_builder.h"
#include "monitor/base/env.h"

namespace imawatch::appraise {

// Feeds lines into a builder; several inputs may feed one builder.
class NativeParser {
 public:
  NativeParser(AllowListBuilder& builder, std::string source) : b_(builder), source_(std::move(source)) {}
  Status ParseLine(std::string_view line, uint32_t number);

 private:
  Error Fail(const std::string& message, std::string_view at) const;
  Status ParseEntry(NameKind kind, std::string_view rest);
  Status ParseNameDirective(std::string_view rest);
  Status ParseDirective(std::string_view line);
  Result<std::string_view> Name(std::string_view token);
  Status ParseFields(std::string_view rest);

  AllowListBuilder& b_;
  std::string source_;
  uint32_t line_ = 0;
  const char* line_begin_ = nullptr;  // columns are offsets from here
  std::string name_buffer_;
  std::vector<std::string_view> tags_;
};

Result<AllowList> ParseNative(std::string_view text, const std::string& source);
Result<AllowList> LoadNative(Env& env, const std::string& path);
std::string WriteNative(const AllowList& list);

// Names in the native form: bytes up to ' ', '\', DEL and a leading '*' are written \xHH
// (a backslash as \\), so a name is one whitespace-free token.
std::string EscapeName(std::string_view name);
// Accepts \\, \xHH, \n, \r, \t; false on any other escape.
bool UnescapeName(std::string_view text, std::string& out);

}  // namespace imawatch::appraise
