// Digests as allow lists write them: "sha256:<hex>", or bare hex whose length names the
// algorithm (40 sha1, 56 sha224, 64 sha256, 96 sha384, 128 sha512, 32 md5).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "monitor/base/result.h"
#include "monitor/ima/digest.h"

namespace imawatch::appraise {

std::optional<ima::HashAlgo> AlgoFromDigestSize(size_t bytes);
// Error messages carry no position: callers know where the text was.
Result<ima::Digest> ParseDigestText(std::string_view text);
std::string FormatDigest(const ima::Digest& digest);  // "sha256:<hex>"
// Bare hex where the length names the algorithm, else "algo:<hex>" (sm3 is as long as sha256).
std::string FormatDigestShort(const ima::Digest& digest);

}  // namespace imawatch::appraise
