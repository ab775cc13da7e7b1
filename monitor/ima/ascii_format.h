// The kernel's ascii rendering of an entry (ima_ascii_measurements_show): the lines of
// ascii_runtime_measurements, byte for byte.
#pragma once

#include <string>

#include "monitor/ima/entry.h"

namespace imawatch::ima {

// Appends one line, newline included.
void AppendAsciiLine(std::string& out, const EntryView& entry);
// One field as the kernel shows it (empty for an empty field).
void AppendAsciiField(std::string& out, FieldId id, Bytes data, bool big_endian);

}  // namespace imawatch::ima
