// TCP endpoints on 127.0.0.1 for tests that play a peer (a webhook receiver, a syslog server).
#pragma once

#include <cstdint>

namespace imawatch::testing {

struct LoopbackListener {
  int fd = -1;  // listening; -1 if socket, bind or listen failed
  uint16_t port = 0;
};

// A TCP socket listening on 127.0.0.1 at a port the kernel picks.
LoopbackListener ListenOnLoopback(int backlog);
// A port on 127.0.0.1 free a moment ago (bound and released), for a server another process opens.
uint16_t FreeLoopbackPort();

}  // namespace imawatch::testing
