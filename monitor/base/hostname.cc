#include "monitor/base/hostname.h"

#include <unistd.h>

#include "monitor/base/utf8.h"

namespace imawatch {

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "";
  return Utf8OrEscaped(name);
}

}  // namespace imawatch
