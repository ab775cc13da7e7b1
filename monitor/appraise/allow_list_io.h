// Loading and saving allow lists in any supported form, by name or by sniffing the content.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "monitor/appraise/allow_list.h"
#include "monitor/base/env.h"

namespace imawatch::appraise {

enum class AllowListFormat { kNative, kBinary, kKeylime, kChecksum };

std::string_view FormatName(AllowListFormat format);
// "native", "binary", "keylime", and "sha256sum" (or sha1sum, sha384sum, sha512sum, md5sum,
// checksum: one parser reads them all).
std::optional<AllowListFormat> FormatFromName(std::string_view name);
// Binary by its magic, Keylime by a leading '{', otherwise native (which also reads
// sha256sum output whose names have no spaces).
AllowListFormat DetectFormat(std::string_view head);

Result<AllowList> LoadAllowList(Env& env, const std::string& path,
                                std::optional<AllowListFormat> format = {});
// Checksum output is read-only: saving in it is refused.
Result<std::string> SerializeAllowList(const AllowList& list, AllowListFormat format);
Status SaveAllowList(Env& env, const std::string& path, const AllowList& list, AllowListFormat format);

}  // namespace imawatch::appraise
