// Shapes free text (paths, reasons, remediation) for formats that restrict it.
#pragma once

#include <string>
#include <string_view>

namespace imawatch::report {

// One trimmed line: control characters (newlines, tabs) become spaces; `fallback` if nothing
// is left. OSCAL's string and markup-line types and ASFF's non-empty strings need this.
std::string OneLine(std::string_view text, std::string_view fallback = "-");

}  // namespace imawatch::report
