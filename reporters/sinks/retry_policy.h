// When to try a failed message again: exponential backoff with jitter, and the HTTP
// Retry-After header (RFC 9110 §10.2.3: delay-seconds or an HTTP-date).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "reporters/sinks/sink_options.h"

namespace imawatch::sinks {

// The wait before retry number `retry` (1 for the first): initial * 2^(retry-1) capped at max,
// then a uniformly random point in its upper half ("equal jitter"), so senders that failed
// together do not retry together. unit_random is in [0, 1).
milliseconds BackoffDelay(const BackoffOptions& options, int64_t retry, double unit_random);

// The delay a Retry-After value asks for, counted from now (Unix seconds); a date in the past
// is zero. nullopt: not a valid value (the caller falls back to its backoff).
std::optional<milliseconds> ParseRetryAfter(std::string_view value, int64_t now);

// An HTTP-date (IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", or the obsolete RFC 850 and
// asctime forms a recipient must accept) as Unix seconds.
std::optional<int64_t> ParseHttpDate(std::string_view text);

// Waits longer than this from a Retry-After are capped: a receiver's typo must not park the
// queue for a year.
inline constexpr milliseconds kMaxRetryAfter = std::chrono::hours(24);

}  // namespace imawatch::sinks
