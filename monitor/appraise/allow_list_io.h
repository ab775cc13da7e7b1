// Loading and saving allow lists in any supported form, by name or by sniffing the content.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
// Each file (form detected) as a list the appraiser shares; the first that fails names its file.
Result<std::vector<std::shared_ptr<const AllowList>>> LoadAllowLists(Env& env,
                                                                     const std::vector<std::string>& paths);
// Checksum output is read-only: saving in it is refused.
Result<std::string> SerializeAllowList(const AllowList& list, AllowListFormat format);
Status SaveAllowList(Env& env, const std::string& path, const AllowList& list, AllowListFormat format);

}  // namespace imawatch::appraise
