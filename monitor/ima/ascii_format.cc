#include "monitor/ima/ascii_format.h"

#include <cstdio>

#include "monitor/base/hex.h"
#include "monitor/ima/fields.h"

namespace imawatch::ima {

void AppendAsciiField(std::string& out, FieldId id, Bytes data, bool big_endian) {
  switch (Info(id).format) {
    case FieldFormat::kDigest:
    case FieldFormat::kHex:
      AppendHex(out, data);
      break;
    case FieldFormat::kDigestWithAlgo:
    case FieldFormat::kDigestWithTypeAndAlgo:
      if (auto fd = DecodeDigestField(Info(id).format, data)) {
        out += fd->prefix;
        AppendHex(out, fd->digest);
      } else {
        AppendHex(out, data);
      }
      break;
    case FieldFormat::kString:
      out += AsString(data);
      break;
    case FieldFormat::kUint:
      if (auto v = DecodeUint(data, big_endian)) out += std::to_string(*v);
      break;
  }
}

void AppendAsciiLine(std::string& out, const EntryView& entry) {
  char pcr[16];
  std::snprintf(pcr, sizeof(pcr), "%2u ", entry.pcr);
  out += pcr;
  AppendHex(out, entry.template_digest);
  out += ' ';
  out += entry.template_name;
  for (uint8_t i = 0; i < entry.descriptor->num_fields; ++i) {
    out += ' ';
    if (!entry.fields[i].empty())
      AppendAsciiField(out, entry.descriptor->fields[i], entry.fields[i], entry.big_endian);
  }
  out += '\n';
}

}  // namespace imawatch::ima
