// swtpm's control channel (the --ctrl TCP socket): what a simulated reboot needs to reset the
// TPM. CMD_INIT is TPM_Init, the reset line a real machine pulls at power-on; the next
// TPM2_Startup(CLEAR) (tpm::Tpm::Open or Reconnect) then starts it with PCRs cleared.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "monitor/base/result.h"

namespace imawatch::simulate {

struct SwtpmControl {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string socket;  // a Unix socket instead of host:port
};

// From "swtpm:host=H,port=P": the control channel on P+1 (swtpm's convention and the test
// harness's); from "swtpm:path=S": the Unix socket S.ctrl. ctrl_port / ctrl_socket override.
Result<SwtpmControl> ControlFor(const std::string& tcti, std::optional<uint16_t> ctrl_port,
                                const std::string& ctrl_socket = "");

// CMD_INIT over the control channel.
Status SwtpmInit(const SwtpmControl& control);

}  // namespace imawatch::simulate
