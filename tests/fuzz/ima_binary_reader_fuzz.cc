// Any bytes as a binary measurement list: parse, render, replay. Must never crash or allocate
// what a length field claims.
#include <cstdint>
#include <string>

#include "monitor/ima/ascii_format.h"
#include "monitor/ima/json.h"
#include "monitor/ima/verify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace imawatch::ima;
  OpenedList list;
  list.file = imawatch::NewMemoryFile("fuzz", {data, size});
  list.reader.buffer_size = 4096;
  auto reading =
      ParsePcrValues("sha1:10:" + std::string(40, '0') + "\nsha256:10:" + std::string(64, '0') + "\n", "r");
  auto report = VerifyOpenedList(list, *reading, {.threads = 1, .batch_size = 64});
  if (report.ok()) (void)VerifyReportToJson(*report).dump();

  auto file = imawatch::NewMemoryFile("fuzz", {data, size});
  BinaryLogReader reader(*file, {.buffer_size = 4096});
  std::string out;
  for (int rounds = 0; rounds < 1000; ++rounds) {
    auto batch = reader.Next(16);
    if (!batch || batch->empty()) break;
    for (const auto& e : *batch) {
      AppendAsciiLine(out, e);
      (void)EntryToJson(e).dump();
    }
    out.clear();
  }
  (void)reader.CheckComplete();
  return 0;
}
