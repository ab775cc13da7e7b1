// RFC 9562 UUIDs for report objects: v5 (SHA-1 of a namespace and a name) where a re-run must
// name the same object, v4 (random) for a fresh document instance.
#pragma once

#include <string>
#include <string_view>

namespace imawatch::report {

// The namespace of every imawatch v5 UUID (itself the v5 of "imawatch" in the URL namespace).
extern const std::string_view kImawatchUuidNamespace;

std::string UuidV5(std::string_view namespace_uuid, std::string_view name);
std::string UuidV4();

}  // namespace imawatch::report
