// The sd_notify(3) protocol without libsystemd: one datagram to $NOTIFY_SOCKET. Type=notify
// units learn that the daemon is ready, reloading or stopping.
#pragma once

#include <string_view>

namespace imawatch::daemon {

// Sends e.g. "READY=1"; false when not run under systemd or the send failed (never fatal).
bool NotifySystemd(std::string_view state);

}  // namespace imawatch::daemon
