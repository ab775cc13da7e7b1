#include "reporters/sinks/sink_metrics.h"

namespace imawatch::sinks {

SinkMetrics::SinkMetrics(prometheus::Registry& r)
    : sent_(prometheus::BuildCounter()
                .Name("imawatch_sink_messages_sent_total")
                .Help("Messages a sink confirmed (delivered), per sink")
                .Register(r)),
      failed_(
          prometheus::BuildCounter()
              .Name("imawatch_sink_messages_failed_total")
              .Help("Failed delivery attempts, per sink and reason (network, tls, http_5xx, http_429, ...)")
              .Register(r)),
      dropped_(
          prometheus::BuildCounter()
              .Name("imawatch_sink_messages_dropped_total")
              .Help("Messages given up for good (a 4xx other than 408/429, a malformed message), per sink "
                    "and reason")
              .Register(r)),
      retries_(prometheus::BuildCounter()
                   .Name("imawatch_sink_retries_total")
                   .Help("Retries scheduled after a failed attempt, per sink")
                   .Register(r)),
      queue_(prometheus::BuildGauge()
                 .Name("imawatch_sink_queue_messages")
                 .Help("Messages in the outbox not yet delivered or dropped, per sink")
                 .Register(r)),
      oldest_(prometheus::BuildGauge()
                  .Name("imawatch_sink_oldest_message_age_seconds")
                  .Help("Age of the oldest undelivered message, per sink; 0 when the queue is empty")
                  .Register(r)) {}

void SinkMetrics::AddSink(const std::string& sink) {
  sent_.Add({{"sink", sink}});
  retries_.Add({{"sink", sink}});
  queue_.Add({{"sink", sink}});
  oldest_.Add({{"sink", sink}});
}

void SinkMetrics::CountSent(const std::string& sink) { sent_.Add({{"sink", sink}}).Increment(); }
void SinkMetrics::CountFailed(const std::string& sink, const std::string& reason) {
  failed_.Add({{"sink", sink}, {"reason", reason}}).Increment();
}
void SinkMetrics::CountDropped(const std::string& sink, const std::string& reason) {
  dropped_.Add({{"sink", sink}, {"reason", reason}}).Increment();
}
void SinkMetrics::CountRetry(const std::string& sink) { retries_.Add({{"sink", sink}}).Increment(); }
void SinkMetrics::SetQueue(const std::string& sink, double messages, double oldest_age_seconds) {
  queue_.Add({{"sink", sink}}).Set(messages);
  oldest_.Add({{"sink", sink}}).Set(oldest_age_seconds);
}

}  // namespace imawatch::sinks
