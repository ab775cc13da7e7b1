// A deliberately dumb HTTP client on a raw socket: sends exactly the bytes a test gives it and
// reads responses byte-exactly, so tests can speak malformed, pipelined or slow HTTP.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace imawatch::http {

struct RawResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::optional<std::string> Header(std::string_view lower_name) const;
};

class RawClient {
 public:
  explicit RawClient(uint16_t port);  // connects to 127.0.0.1:port
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  // All of `bytes`; false if the server has closed or reset the connection.
  bool Send(std::string_view bytes);
  // One response, its body framed by Content-Length (none after a HEAD). nullopt when the
  // connection ends or nothing complete arrives in time.
  std::optional<RawResponse> Read(bool head = false,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Whether the server closes the connection (EOF or reset) within `timeout`; data is discarded.
  bool WaitClosed(std::chrono::milliseconds timeout);
  void Close();

 private:
  // Appends what arrives within the deadline; false on EOF, error or timeout.
  bool Fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string buffer_;
};

}  // namespace imawatch::http
