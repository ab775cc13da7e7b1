#include "monitor/policy/loader.h"

#include <openssl/evp.h>

#include <cerrno>
#include <cstring>

#include "monitor/base/hex.h"
#include "monitor/policy/show.h"

namespace imawatch::policy {
namespace {

constexpr uint64_t kMaxActivePolicyBytes = 16 << 20;

std::string PolicyFile(const std::string& securityfs) { return securityfs + "/ima/policy"; }

std::string TrimRight(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

// Tokens joined by single spaces: how the kernel's print form and a copy of the rule compare.
std::string Normalize(std::string_view line) {
  std::string out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) {
      if (!out.empty()) out += ' ';
      out.append(line.substr(start, i - start));
    }
  }
  return out;
}

std::string OpenExplanation(Env& env, const LoadOptions& options, const Error& error) {
  std::string ima_dir = options.securityfs + "/ima";
  if (error.kind() == ErrorKind::kNotFound) {
    if (!env.IsDirectory(ima_dir)) {
      return "there is no " + ima_dir + ": securityfs is not mounted at " + options.securityfs +
             " or the kernel has no IMA";
    }
    return "the kernel offers no policy file: a policy was already loaded since boot and the kernel lacks "
           "CONFIG_IMA_WRITE_POLICY, so the file was removed after that load; the active policy stays until "
           "reboot";
  }
  const std::string& m = error.message();
  if (m.find("Device or resource busy") != std::string::npos) {
    return "another process has the policy file open: the kernel allows one writer at a time";
  }
  if (m.find("Permission denied") != std::string::npos || m.find("not permitted") != std::string::npos) {
    return "writing the IMA policy needs root (CAP_SYS_ADMIN)";
  }
  return "the policy file could not be opened for writing";
}

std::string WriteExplanation(int err, bool as_path) {
  std::string why;
  switch (err) {
    case EINVAL:
      why =
          as_path
              ? "the kernel refused a rule in the file, or could not read the file to its end"
              : "the kernel refused the rule; the audit log (INTEGRITY_POLICY_RULE, res=0) and dmesg say why";
      break;
    case EACCES:
      why = as_path ? "the kernel refused the file at appraisal: it needs a valid security.ima signature"
                    : "the kernel requires a signed policy (an appraise func=POLICY_CHECK rule is active): "
                      "load the "
                      "signed file by path with --signed-path";
      break;
    case ENOENT:
      why = as_path ? "the kernel cannot open the policy file at that path" : "the kernel rejected the write";
      break;
    case EBUSY:
      why = "another process is writing the policy";
      break;
    default:
      why = "the write to the policy file failed";
      break;
  }
  return why +
         ". The kernel discards every rule of this load when the file is closed, so the policy that was "
         "active before stays in force";
}

// The active policy ends with the loaded rules, in the kernel's print form or as written.
bool EndsWithRules(const std::string& active, const Policy& policy, KernelVersion kernel) {
  std::vector<std::string> lines;
  for (auto line : SplitLines(active)) {
    std::string normalized = Normalize(line);
    if (!normalized.empty()) lines.push_back(std::move(normalized));
  }
  if (lines.size() < policy.rules.size()) return false;
  size_t offset = lines.size() - policy.rules.size();
  for (size_t i = 0; i < policy.rules.size(); ++i) {
    const Rule& rule = policy.rules[i].rule;
    const std::string& line = lines[offset + i];
    if (line != ShowRule(rule, kernel) && line != NormalizedText(rule)) return false;
  }
  return true;
}

}  // namespace

std::string_view LoadOutcomeName(LoadOutcome outcome) {
  switch (outcome) {
    case LoadOutcome::kLoaded:
      return "loaded";
    case LoadOutcome::kRefused:
      return "refused";
    case LoadOutcome::kUnavailable:
      return "unavailable";
    case LoadOutcome::kRejected:
      return "rejected";
  }
  return "";
}

std::string Sha256Digest(std::string_view bytes) {
  uint8_t md[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &size, EVP_sha256(), nullptr);
  return "sha256:" + ToHex(std::span<const uint8_t>(md, size));
}

Result<std::string> ReadActivePolicy(Env& env, const std::string& securityfs) {
  return env.ReadFile(PolicyFile(securityfs), kMaxActivePolicyBytes);
}

LoadReport LoadPolicy(Env& env, std::string_view text, const std::string& source,
                      const LoadOptions& options) {
  LoadReport report;
  report.lint = LintPolicy(text, source, options.target);
  report.policy_file = PolicyFile(options.securityfs);
  report.as_path = options.as_path;
  report.rules = report.lint.policy.rules.size();
  if (!report.lint.ok()) {
    report.outcome = LoadOutcome::kRefused;
    report.explanation =
        "the policy has errors the kernel would refuse: nothing was written and the active policy "
        "is unchanged";
    return report;
  }
  if (options.as_path && (source.empty() || source.front() != '/')) {
    report.outcome = LoadOutcome::kRefused;
    report.explanation = "loading by path needs the policy file's absolute path";
    return report;
  }

  if (auto before = ReadActivePolicy(env, options.securityfs)) report.active_before = std::move(*before);

  auto file = env.OpenForWrite(report.policy_file);
  if (!file) {
    report.outcome = LoadOutcome::kUnavailable;
    report.kernel_message = file.error().message();
    report.explanation = OpenExplanation(env, options, file.error());
    return report;
  }

  std::vector<std::pair<uint32_t, std::string>> records;
  if (options.as_path) {
    records.emplace_back(0, source + "\n");
    report.written = std::string(text);
    report.digest = Sha256Digest(text);
  } else {
    std::string all;
    for (const auto& rule : report.lint.policy.rules) {
      records.emplace_back(rule.line, rule.text + "\n");
      all += records.back().second;
    }
    report.digest = Sha256Digest(all);
    report.written = std::move(all);
  }

  report.outcome = LoadOutcome::kLoaded;
  for (const auto& [line, record] : records) {
    WritableFile::WriteOutcome written = (*file)->Write(record);
    bool complete = written.error == 0 && written.accepted == record.size();
    if (complete) {
      ++report.writes_accepted;
      continue;
    }
    report.outcome = LoadOutcome::kRejected;
    report.rejected_line = line;
    report.rejected_text = TrimRight(record);
    if (written.error != 0) {
      report.kernel_errno = written.error;
      report.kernel_message = std::strerror(written.error);
      report.explanation = WriteExplanation(written.error, options.as_path);
    } else {
      report.kernel_message = "the kernel took " + std::to_string(written.accepted) + " of " +
                              std::to_string(record.size()) + " bytes";
      report.explanation =
          "the kernel did not consume the whole rule, so the rest would be parsed as another rule; "
          "the load was stopped";
    }
    break;
  }
  Status closed = (*file)->Close();
  if (!closed.ok() && report.outcome == LoadOutcome::kLoaded) {
    report.outcome = LoadOutcome::kRejected;
    report.kernel_message = closed.error().message();
    report.explanation = "closing the policy file failed; the kernel applies a policy only on a clean close";
  }

  auto after = ReadActivePolicy(env, options.securityfs);
  if (after) {
    report.active_after = std::move(*after);
    if (report.outcome == LoadOutcome::kLoaded) {
      report.readback_confirms =
          EndsWithRules(*report.active_after, report.lint.policy, options.target.kernel);
    }
  } else {
    report.readback_error =
        after.error().message() +
        " (the kernel shows the active policy only with CONFIG_IMA_READ_POLICY, and not after "
        "a load on kernels without CONFIG_IMA_WRITE_POLICY)";
  }
  return report;
}

}  // namespace imawatch::policy
