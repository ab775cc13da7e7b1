// Output of sha1sum/sha256sum/sha384sum/sha512sum (and md5sum): "HEX  NAME", "HEX *NAME",
// GNU's escaped "\HEX  NA\\ME" and the BSD "--tag" form "SHA256 (NAME) = HEX". The algorithm
// comes from the digest length or the BSD tag. Names are taken relative to where the tool
// ran: "./usr/bin/x" and "usr/bin/x" both become "/usr/bin/x".
#pragma once

#include <string>
#include <string_view>

#include "monitor/appraise/allow_list_builder.h"
#include "monitor/base/env.h"

namespace imawatch::appraise {

class ChecksumParser {
 public:
  ChecksumParser(AllowListBuilder& builder, std::string source) : b_(builder), source_(std::move(source)) {}
  Status ParseLine(std::string_view line, uint32_t number);

 private:
  Error Fail(const std::string& message, std::string_view line, std::string_view at) const;

  AllowListBuilder& b_;
  std::string source_;
  uint32_t line_ = 0;
  std::string name_;
};

Result<AllowList> ParseChecksums(std::string_view text, const std::string& source);
Result<AllowList> LoadChecksums(Env& env, const std::string& path);

}  // namespace imawatch::appraise
