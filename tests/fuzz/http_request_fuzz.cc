// Fuzzes the HTTP request parser: any bytes, small limits picked by the first byte. Every
// input must end in kNeedMore, kComplete or kBad with a status the server sends; a complete
// request is complete again on exactly its own bytes, and no shorter prefix of it is refused.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "monitor/http/http_request.h"
#include "monitor/http/http_response.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace imawatch::http;
  if (size == 0) return 0;
  uint8_t selector = data[0];
  std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  Limits limits;
  if (selector & 1)
    limits = {.max_header_bytes = 96, .max_headers = 3, .max_body_bytes = 16, .max_target_bytes = 24};

  Request r;
  ParseOutcome o = ParseRequest(bytes, limits, r);
  switch (o.state) {
    case ParseOutcome::State::kNeedMore:
      if (o.needed != 0 && o.needed <= bytes.size()) std::abort();
      break;
    case ParseOutcome::State::kBad: {
      constexpr int kStatuses[] = {400, 411, 413, 414, 431, 501, 505};
      if (std::find(std::begin(kStatuses), std::end(kStatuses), o.status) == std::end(kStatuses))
        std::abort();
      if (o.error.empty() || o.error_offset > bytes.size()) std::abort();
      (void)Serialize(JsonError(o.status, o.error), false, false);
      break;
    }
    case ParseOutcome::State::kComplete: {
      if (o.consumed == 0 || o.consumed > bytes.size()) std::abort();
      if (r.path.empty() || r.path.find('\0') != std::string::npos) std::abort();
      if (r.body.size() > limits.max_body_bytes || r.headers.size() > limits.max_headers) std::abort();
      for (const auto& [name, value] : r.headers) {
        for (char c : name) {
          if (c >= 'A' && c <= 'Z') std::abort();
        }
      }
      Request again;
      ParseOutcome whole = ParseRequest(bytes.substr(0, o.consumed), limits, again);
      if (whole.state != ParseOutcome::State::kComplete || whole.consumed != o.consumed ||
          again.path != r.path || again.headers != r.headers || again.body != r.body) {
        std::abort();
      }
      for (size_t n : {o.consumed / 2, o.consumed - 1}) {
        if (ParseRequest(bytes.substr(0, n), limits, again).state != ParseOutcome::State::kNeedMore)
          std::abort();
      }
      Response echo;
      echo.headers = r.headers;
      echo.body = r.body;
      (void)Serialize(echo, r.method == "HEAD", true);
      break;
    }
  }
  return 0;
}
