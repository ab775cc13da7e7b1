// imawatch allowlist convert|lookup: move allow lists between Keylime, sha256sum, native and
// binary forms; ask one what it says about a digest or a path.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "monitor/appraise/allow_list_io.h"
#include "monitor/appraise/digest_text.h"
#include "monitor/base/env.h"
#include "monitor/cli/command.h"
#include "monitor/cli/json_output.h"

namespace imawatch::cli {
namespace {

namespace ap = imawatch::appraise;
using nlohmann::json;

int InputError(std::string_view what, const std::string& message) {
  std::cerr << "imawatch allowlist " << what << ": " << message << "\n";
  return kExitUsage;
}

Result<ap::AllowList> Load(const std::string& path, const std::string& from) {
  std::optional<ap::AllowListFormat> format;
  if (!from.empty()) {
    format = ap::FormatFromName(from);
    if (!format) return InvalidInput("--from is keylime, sha256sum, native or binary, not '" + from + "'");
  }
  return ap::LoadAllowList(Env::Default(), path, format);
}

json TagsJson(const ap::TagList& tags) {
  json out = json::array();
  for (size_t i = 0; i < tags.size(); ++i) out.push_back(std::string(tags[i]));
  return out;
}

std::string TagsText(const ap::TagList& tags) {
  std::string out;
  for (size_t i = 0; i < tags.size(); ++i) out += (i ? "," : "  tags=") + std::string(tags[i]);
  return out;
}

// ---- convert ----

struct ConvertArgs {
  std::string in;
  std::string from;
  std::string to;
  std::string out;
  bool json = false;
};

int Convert(const ConvertArgs& args) {
  auto to = ap::FormatFromName(args.to);
  if (!to || *to == ap::AllowListFormat::kChecksum) {
    return InputError("convert", "--to is keylime, native or binary, not '" + args.to + "'");
  }
  auto list = Load(args.in, args.from);
  if (!list) return InputError("convert", list.error().ToString());
  if (Status st = ap::SaveAllowList(Env::Default(), args.out, *list, *to); !st) {
    return InputError("convert", st.error().ToString());
  }
  if (args.json) {
    std::cout << JsonText(json{{"in", args.in},
                               {"out", args.out},
                               {"format", ap::FormatName(*to)},
                               {"names", list->name_count()},
                               {"digests", list->digest_count()},
                               {"entries", list->entry_count()},
                               {"excludes", list->excludes().patterns().size()}})
              << "\n";
  } else {
    std::cerr << args.in << " -> " << args.out << " (" << ap::FormatName(*to) << "): " << list->name_count()
              << " names, " << list->digest_count() << " digests, " << list->entry_count() << " entries, "
              << list->excludes().patterns().size() << " excludes\n";
  }
  return kExitOk;
}

// ---- lookup ----

struct LookupArgs {
  std::string file;
  std::string query;
  std::string from;
  std::string kind = "file";
  bool json = false;
};

int Lookup(const LookupArgs& args) {
  ap::NameKind kind = ap::NameKind::kFile;
  if (args.kind == "keyring") {
    kind = ap::NameKind::kKeyring;
  } else if (args.kind == "ima-buf") {
    kind = ap::NameKind::kImaBuf;
  } else if (args.kind != "file") {
    return InputError("lookup", "--kind is file, keyring or ima-buf");
  }
  auto list = Load(args.file, args.from);
  if (!list) return InputError("lookup", list.error().ToString());

  json out = {{"query", args.query}};
  bool found = false;
  if (auto digest = ap::ParseDigestText(args.query)) {
    out["type"] = "digest";
    json names = json::array();
    for (auto id : list->FindDigest(*digest)) {
      names.push_back({{"name", list->Name(id)},
                       {"kind", ap::NameKindName(list->Kind(id))},
                       {"tags", TagsJson(list->Tags(id))}});
      if (!args.json) {
        std::cout << ap::FormatDigest(*digest) << "  " << list->Name(id) << TagsText(list->Tags(id)) << "\n";
      }
    }
    found = !names.empty();
    out["names"] = std::move(names);
    if (!found && !args.json) std::cout << ap::FormatDigest(*digest) << ": not in the list\n";
  } else {
    out["type"] = "path";
    const ap::PathPattern* excluded_by = nullptr;
    for (const auto& pattern : list->excludes().patterns()) {
      if (pattern.Matches(args.query)) {
        excluded_by = &pattern;
        break;
      }
    }
    out["excluded"] = excluded_by != nullptr;
    if (excluded_by) {
      out["excluded_by"] = {{"kind", ap::PatternKindName(excluded_by->kind())},
                            {"pattern", excluded_by->text()}};
      if (!args.json) {
        std::cout << args.query << ": excluded by " << ap::PatternKindName(excluded_by->kind()) << " "
                  << excluded_by->text() << "\n";
      }
    }
    json digests = json::array();
    if (auto id = list->FindName(kind, args.query)) {
      found = true;
      out["tags"] = TagsJson(list->Tags(*id));
      for (const auto& d : list->DigestsOf(*id)) {
        digests.push_back(ap::FormatDigest(d));
        if (!args.json)
          std::cout << ap::FormatDigest(d) << "  " << args.query << TagsText(list->Tags(*id)) << "\n";
      }
      if (digests.empty() && !args.json) std::cout << args.query << ": listed without digests\n";
    } else if (!excluded_by && !args.json) {
      std::cout << args.query << ": not in the list\n";
    }
    out["digests"] = std::move(digests);
    found = found || excluded_by != nullptr;
  }
  out["found"] = found;
  if (args.json) std::cout << JsonText(out) << "\n";
  return found ? kExitOk : kExitFailed;
}

const CommandRegistration kAllowlist("allowlist", [](CLI::App& root, int& exit_code) {
  auto* cmd = root.add_subcommand("allowlist", "Convert allow lists and look things up in them");
  cmd->require_subcommand(1);

  auto convert_args = std::make_shared<ConvertArgs>();
  auto* convert = cmd->add_subcommand(
      "convert", "Convert an allow list between forms (exit 0 written, 2 usage or input error)");
  convert->add_option("in", convert_args->in, "Allow list to read")->required();
  convert->add_option("--from", convert_args->from,
                      "keylime, sha256sum (also sha1sum, sha384sum, sha512sum), native or binary (default: "
                      "detected)");
  convert->add_option("--to", convert_args->to, "keylime, native or binary")->required();
  convert->add_option("--out", convert_args->out, "File to write (replaced atomically)")->required();
  convert->add_flag("--json", convert_args->json, "Machine-readable summary on stdout");
  convert->callback([convert_args, &exit_code] { exit_code = Convert(*convert_args); });

  auto lookup_args = std::make_shared<LookupArgs>();
  auto* lookup = cmd->add_subcommand("lookup",
                                     "Which paths allow a digest, or which digests a path has and whether it "
                                     "is excluded (exit 0 found, 1 not "
                                     "in the list, 2 usage or input error)");
  lookup->add_option("file", lookup_args->file, "Allow list (any form)")->required();
  lookup->add_option("query", lookup_args->query, "A digest ([algo:]hex) or a path")->required();
  lookup->add_option("--from", lookup_args->from, "Form of the list (default: detected)");
  lookup->add_option("--kind", lookup_args->kind, "For a name: file, keyring or ima-buf (default file)");
  lookup->add_flag("--json", lookup_args->json, "Machine-readable answer");
  lookup->callback([lookup_args, &exit_code] { exit_code = Lookup(*lookup_args); });
});

}  // namespace
}  // namespace imawatch::cli
