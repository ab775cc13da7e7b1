// The node's host name, as reports and evidence name the node.
#pragma once

#include <string>

namespace imawatch {

// gethostname(2), non-UTF-8 bytes escaped; empty when the system does not say.
std::string HostName();

}  // namespace imawatch
