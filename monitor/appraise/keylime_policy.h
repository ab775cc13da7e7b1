// Keylime runtime policies (JSON, meta.version 1): "digests" {path: [hex]}, "excludes"
// [regex], "keyrings" {keyring: [hex]}, "ima-buf" {name: [hex]}, "ima" {ignored_keyrings,
// log_hash_alg, dm_policy}, "meta", "release", "verification-keys". Fields imawatch does not
// interpret are kept and written back, so import then export gives the same policy.
#pragma once

#include <string>
#include <string_view>

#include "monitor/appraise/allow_list.h"
#include "monitor/base/env.h"

namespace imawatch::appraise {

inline constexpr uint64_t kMaxKeylimePolicySize = uint64_t{1} << 30;

// Errors name the JSON path ($.digests["/usr/bin/ls"][1]) or, for syntax, line and column.
Result<AllowList> ParseKeylimePolicy(std::string_view json, const std::string& source);
Result<AllowList> LoadKeylimePolicy(Env& env, const std::string& path);
// Globs become anchored regexes; tags have no place in a Keylime policy and are dropped.
std::string WriteKeylimePolicy(const AllowList& list);

}  // namespace imawatch::appraise
