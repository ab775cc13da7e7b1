// imawatch log show: renders a measurement list as the kernel would (ascii) or as JSON.
#include <iostream>

#include "monitor/cli/command.h"
#include "monitor/cli/list_options.h"
#include "monitor/ima/ascii_format.h"
#include "monitor/ima/json.h"
#include "monitor/ima/verify.h"

namespace imawatch::cli {
namespace {

struct ShowArgs {
  std::string path;
  bool ascii = false;
  bool json = false;
  std::vector<std::string> templates;
  ListOptions list;
};

int Show(const ShowArgs& args) {
  auto opened = ima::OpenMeasurementList(Env::Default(), args.path, args.list.reader());
  if (!opened) return ReportInputError("log show", opened.error());
  ima::BinaryLogReader reader(*opened->file, opened->reader);
  std::string out;
  bool first = true;
  if (args.json) out += "[";
  for (;;) {
    auto batch = reader.Next();
    if (!batch) {
      std::cout << out << std::flush;
      return ReportInputError("log show", batch.error());
    }
    if (batch->empty()) break;
    for (const auto& e : *batch) {
      if (!args.templates.empty() &&
          std::find(args.templates.begin(), args.templates.end(), e.template_name) == args.templates.end()) {
        continue;
      }
      if (args.json) {
        out += first ? "\n" : ",\n";
        out += ima::EntryToJson(e).dump();
      } else {
        ima::AppendAsciiLine(out, e);
      }
      first = false;
    }
    std::cout << out;
    out.clear();
  }
  if (args.json) std::cout << "\n]\n";
  std::cout << std::flush;
  if (Status s = reader.CheckComplete(); !s) return ReportInputError("log show", s.error());
  return kExitOk;
}

const CommandRegistration kLog("log", [](CLI::App& root, int& exit_code) {
  auto* log = root.add_subcommand("log", "Read IMA measurement lists");
  log->require_subcommand(1);
  auto args = std::make_shared<ShowArgs>();
  auto* show = log->add_subcommand(
      "show", "Print a list (binary or ascii) as the kernel's ascii_runtime_measurements, or as JSON");
  show->add_option("path", args->path, "binary_runtime_measurements[_<bank>] or ascii_runtime_measurements")
      ->required();
  show->add_flag("--ascii", args->ascii, "The kernel's ascii rendering (the default)");
  show->add_flag("--json", args->json, "One JSON object per entry, fields decoded");
  show->add_option("--template", args->templates, "Only entries of these templates (e.g. ima-sig)");
  AddListOptions(show, args->list);
  show->get_option("--ascii")->excludes("--json");
  show->callback([args, &exit_code] { exit_code = Show(*args); });
});

}  // namespace
}  // namespace imawatch::cli
