#include "reporters/sinks/sink.h"

namespace imawatch::sinks {

Result<std::unique_ptr<Sink>> MakeSink(const SinkOptions& options, const std::string& product_version) {
  if (const auto* w = std::get_if<WebhookOptions>(&options)) return MakeWebhookSink(*w);
  if (const auto* f = std::get_if<FileDropOptions>(&options)) return MakeFileDropSink(*f);
  return MakeSyslogSink(std::get<SyslogOptions>(options), product_version);
}

}  // namespace imawatch::sinks
