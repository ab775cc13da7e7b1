// A real TPM 2.0 for tests: swtpm (libtpms) serving TCP on free loopback ports, with its own
// state directory. swtpm serves one client at a time, so a test binary runs one SwTpm and
// opens one TPM connection at a time.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace imawatch::testing {

enum class SwTpmTransport {
  kTcp,  // loopback ports P (data) and P+1 (control)
  // Unix sockets <dir>/tpm.sock and <dir>/tpm.sock.ctrl. tcti-swtpm opens a connection per
  // command: tests that send thousands of commands use this to leave no TIME_WAIT ports behind.
  kUnixSocket,
};

class SwTpm {
 public:
  // Starts swtpm and waits until it accepts connections; throws std::runtime_error.
  explicit SwTpm(SwTpmTransport transport = SwTpmTransport::kTcp);
  // Stops swtpm and removes its state.
  ~SwTpm();
  SwTpm(const SwTpm&) = delete;
  SwTpm& operator=(const SwTpm&) = delete;

  // "swtpm:host=127.0.0.1,port=P" (or "swtpm:path=S"), the TCTI string tpm::Tpm::Open takes.
  std::string Tcti() const;
  // Unix transport: the sockets.
  std::string socket_path() const { return dir_ + "/tpm.sock"; }
  std::string ctrl_socket_path() const { return socket_path() + ".ctrl"; }
  uint16_t port() const { return port_; }
  uint16_t ctrl_port() const { return static_cast<uint16_t>(port_ + 1); }
  const std::string& state_dir() const { return state_dir_; }
  bool running() const { return pid_ > 0; }

  // A reboot: TPM_Init on the control channel, then TPM2_Startup(CLEAR), as firmware would.
  // The Startup needs the data channel, so close TPM connections first (as a reboot would).
  void PowerCycle();
  // SIGKILL: the TPM disappears under its clients.
  void Kill();
  // After Kill(): starts swtpm again on the same ports with the same state.
  void Restart();

 private:
  void Start();
  void Stop();

  std::string dir_;
  std::string state_dir_;
  std::string log_path_;
  SwTpmTransport transport_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace imawatch::testing
