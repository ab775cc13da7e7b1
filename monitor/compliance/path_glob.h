// Path patterns in benchmark files: "*" and "?" stay within one path component, "**" crosses
// components ("/usr/lib/**" is everything below /usr/lib). No character classes: benchmark
// paths do not need them and a literal "[" then means itself.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace imawatch::compliance {

bool IsGlob(std::string_view pattern);
bool GlobMatch(std::string_view pattern, std::string_view path);

// IMA logs canonical paths: on merged-/usr systems /lib, /bin and /sbin are symlinks into /usr,
// so a file named /lib/x in a benchmark is logged as /usr/lib/x. Returns the spellings under
// which a path or pattern may appear in the log, the given one first.
std::vector<std::string> CanonicalSpellings(std::string_view path);

}  // namespace imawatch::compliance
