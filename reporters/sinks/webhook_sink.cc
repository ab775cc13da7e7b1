// Webhook: one HTTP POST of the event's JSON per message, with libcurl.
#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

#include "reporters/sinks/retry_policy.h"
#include "reporters/sinks/sink.h"

namespace imawatch::sinks {
namespace {

constexpr size_t kMaxTokenBytes = 16384;

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsTlsError(CURLcode code) {
  switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_USE_SSL_FAILED:
      return true;
    default:
      return false;
  }
}

class WebhookSink : public Sink {
 public:
  explicit WebhookSink(WebhookOptions options) : options_(std::move(options)), curl_(curl_easy_init()) {}
  ~WebhookSink() override { curl_easy_cleanup(curl_); }
  WebhookSink(const WebhookSink&) = delete;
  WebhookSink& operator=(const WebhookSink&) = delete;

  bool ok() const { return curl_ != nullptr; }
  const BackoffOptions& backoff() const override { return options_.backoff; }

  SendResult Send(const FindingEvent& event, const std::atomic<bool>& stop) override {
    std::string token;
    if (!options_.bearer_token_file.empty()) {
      std::ifstream in(options_.bearer_token_file, std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      token = text.str().substr(0, kMaxTokenBytes);
      while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
        token.pop_back();
      if (!in || token.empty())
        return SendResult::Retry("config", "cannot read a token from " + options_.bearer_token_file);
    }
    const std::string body = event.WireJson();
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    headers = curl_slist_append(headers, ("Idempotency-Key: " + event.EventId()).c_str());
    headers = curl_slist_append(headers, "Expect:");
    for (const auto& [name, value] : options_.headers)
      headers = curl_slist_append(headers, (name + ": " + value).c_str());
    if (!token.empty()) headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());

    curl_easy_reset(curl_);
    retry_after_.reset();
    response_.clear();
    char error[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(curl_, CURLOPT_URL, options_.url.c_str());
    curl_easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_POST, 1L);
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &WebhookSink::OnHeader);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, this);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &WebhookSink::OnBody);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(curl_, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl_, CURLOPT_XFERINFOFUNCTION, &WebhookSink::OnProgress);
    curl_easy_setopt(curl_, CURLOPT_XFERINFODATA, &stop);
    if (!options_.ca_bundle.empty()) curl_easy_setopt(curl_, CURLOPT_CAINFO, options_.ca_bundle.c_str());
    if (!options_.client_cert.empty()) curl_easy_setopt(curl_, CURLOPT_SSLCERT, options_.client_cert.c_str());
    if (!options_.client_key.empty()) curl_easy_setopt(curl_, CURLOPT_SSLKEY, options_.client_key.c_str());

    const CURLcode rc = curl_easy_perform(curl_);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK) {
      std::string what = error[0] ? error : curl_easy_strerror(rc);
      return SendResult::Retry(IsTlsError(rc) ? "tls" : "network", what);
    }
    long status = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
    const std::string said = "HTTP " + std::to_string(status) + (response_.empty() ? "" : ": " + response_);
    if (status >= 200 && status < 300) return SendResult::Delivered();
    if (status == 429) return SendResult::Retry("http_429", said, retry_after_);
    if (status >= 500) return SendResult::Retry("http_5xx", said, retry_after_);
    if (status == 408) return SendResult::Retry("http_408", said, retry_after_);
    if (status >= 400) return SendResult::Drop("http_4xx", said);
    return SendResult::Drop("http_" + std::to_string(status / 100) + "xx", said);
  }

 private:
  static size_t OnHeader(char* data, size_t size, size_t count, void* self_ptr) {
    auto* self = static_cast<WebhookSink*>(self_ptr);
    std::string_view line(data, size * count);
    const size_t colon = line.find(':');
    if (line.starts_with("HTTP/")) self->retry_after_.reset();  // a new response (after a 100)
    if (colon != std::string_view::npos && Lower(line.substr(0, colon)) == "retry-after") {
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.remove_suffix(1);
      const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
      self->retry_after_ = ParseRetryAfter(value, now);
    }
    return size * count;
  }
  static size_t OnBody(char* data, size_t size, size_t count, void* self_ptr) {
    auto* self = static_cast<WebhookSink*>(self_ptr);
    constexpr size_t kKeep = 200;  // of an error body, for the log
    if (self->response_.size() < kKeep)
      self->response_.append(data, std::min(size * count, kKeep - self->response_.size()));
    return size * count;
  }
  static int OnProgress(void* stop, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<const std::atomic<bool>*>(stop)->load() ? 1 : 0;
  }

  WebhookOptions options_;
  CURL* curl_;
  std::optional<milliseconds> retry_after_;
  std::string response_;
};

}  // namespace

Result<std::unique_ptr<Sink>> MakeWebhookSink(const WebhookOptions& options) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  // A missing certificate file would only show at the first send, as endless TLS retries.
  for (const std::string* file : {&options.ca_bundle, &options.client_cert, &options.client_key}) {
    if (!file->empty() && access(file->c_str(), R_OK) != 0)
      return IoError("webhook: cannot read " + *file + ": " + std::strerror(errno));
  }
  auto sink = std::make_unique<WebhookSink>(options);
  if (!sink->ok()) return Error(ErrorKind::kIo, "webhook: cannot create a libcurl handle");
  return std::unique_ptr<Sink>(std::move(sink));
}

}  // namespace imawatch::sinks
