// generate_ima_log: writes a synthetic but genuine IMA measurement list of any length, with the
// PCR values a TPM would hold after the kernel extended it (tests/testing/ima_log_builder.h).
//
//   generate_ima_log --entries N --out DIR [--template ima-ng|ima-sig|evm-sig] [--violations K]
//                    [--seed S]
//
// DIR/binary_runtime_measurements  the list: boot_aggregate, then N-1 entries of which K are
//                                   violations spread evenly; paths and digests from the seed
// DIR/pcrs.txt                     bank:pcr:HEX, banks sha1/sha256/sha384/sha512, PCRs 0-10
// DIR/pcrs-sha1.evmctl             evmctl --pcrs sha1,FILE format
// DIR/pcrs-sha256.evmctl           evmctl --pcrs sha256,FILE format
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <array>
#include <cerrno>
#include <cstdio>
#include <exception>
#include <string>

#include "tests/testing/ima_log_builder.h"

namespace {

using imawatch::ima::HashAlgo;
using imawatch::testing::FileMeasurement;
using imawatch::testing::ImaLogBuilder;
using imawatch::testing::ImaTemplate;

// splitmix64: fast, seedable, and the same on every platform (unlike std:: distributions).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  template <size_t N>
  const char* Pick(const std::array<const char*, N>& from) {
    return from[Next() % N];
  }
  void Fill(std::vector<uint8_t>& out, size_t n) {
    out.resize(n);
    for (size_t i = 0; i < n; i += 8) {
      uint64_t v = Next();
      for (size_t j = i; j < n && j < i + 8; ++j, v >>= 8) out[j] = static_cast<uint8_t>(v);
    }
  }

 private:
  uint64_t state_;
};

// Directories a Kubernetes node's IMA policy measures; path lengths like a real list's.
constexpr std::array<const char*, 10> kDirs = {
    "/usr/bin/",
    "/usr/sbin/",
    "/usr/lib/x86_64-linux-gnu/",
    "/usr/lib/python3/dist-packages/kubernetes/client/",
    "/etc/kubernetes/manifests/",
    "/var/lib/kubelet/pods/",
    "/usr/libexec/",
    "/opt/cni/bin/",
    "/usr/share/ca-certificates/mozilla/",
    "/run/containerd/io.containerd.runtime.v2.task/k8s.io/",
};
constexpr std::array<const char*, 6> kExtensions = {"", ".so.1", ".py", ".conf", ".yaml", ".crt"};
constexpr std::array<uint16_t, 3> kModes = {0100755, 0100644, 0100600};

void MakeDirectory(const std::string& dir) {
  for (size_t at = 1; at <= dir.size(); ++at) {
    if (at != dir.size() && dir[at] != '/') continue;
    std::string prefix = dir.substr(0, at);
    if (mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST)
      throw std::runtime_error("cannot create " + prefix);
  }
}

struct Options {
  uint64_t entries = 0;
  std::string out;
  std::string template_name = "ima-ng";
  uint64_t violations = 0;
  uint64_t seed = 1;
};

void Generate(const Options& o) {
  if (o.entries == 0) throw std::runtime_error("--entries must be at least 1 (the boot_aggregate)");
  if (o.violations > o.entries - 1) throw std::runtime_error("--violations must be below --entries");
  MakeDirectory(o.out);
  const ImaTemplate kind = imawatch::testing::TemplateFromName(o.template_name);
  const std::string list = o.out + "/binary_runtime_measurements";
  ImaLogBuilder builder(list, {.template_kind = kind});
  builder.AddBootAggregate();

  Rng rng(o.seed);
  FileMeasurement m{.algo = HashAlgo::kSha256};
  char name[32];
  const uint64_t rest = o.entries - 1;
  for (uint64_t i = 1; i <= rest; ++i) {
    std::snprintf(name, sizeof(name), "f%08llx", static_cast<unsigned long long>(rng.Next() & 0xffffffffu));
    m.path = std::string(rng.Pick(kDirs)) + name + rng.Pick(kExtensions);
    rng.Fill(m.digest, 32);
    if (kind == ImaTemplate::kImaSig) {
      // signature_v2_hdr: type 3 (digsig), version 2, hash algo 4 (sha256), key id, size (BE), RSA-2048 sig.
      rng.Fill(m.signature, 9 + 256);
      m.signature[0] = 3;
      m.signature[1] = 2;
      m.signature[2] = 4;
      m.signature[7] = 1;
      m.signature[8] = 0;
    }
    if (kind == ImaTemplate::kEvmSig) {
      m.uid = rng.Next() % 4 == 0 ? 1000 : 0;
      m.gid = m.uid;
      m.mode = kModes[rng.Next() % kModes.size()];
    }
    // Entry i is a violation when it crosses the next of K evenly spaced marks.
    const bool violation = (i * o.violations) / rest != ((i - 1) * o.violations) / rest;
    if (violation) {
      builder.AddViolation(m);
    } else {
      builder.AddMeasurement(m);
    }
  }
  builder.Finish();

  using imawatch::testing::WriteTextFile;
  WriteTextFile(o.out + "/pcrs.txt", imawatch::testing::PcrsText(builder.pcrs()));
  WriteTextFile(o.out + "/pcrs-sha1.evmctl",
                imawatch::testing::EvmctlPcrsText(builder.pcrs(), HashAlgo::kSha1));
  WriteTextFile(o.out + "/pcrs-sha256.evmctl",
                imawatch::testing::EvmctlPcrsText(builder.pcrs(), HashAlgo::kSha256));
  std::printf("%s: %llu entries (%llu violations, %s), %llu bytes\n", list.c_str(),
              static_cast<unsigned long long>(builder.entries()),
              static_cast<unsigned long long>(builder.violations()), o.template_name.c_str(),
              static_cast<unsigned long long>(builder.bytes_written()));
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app("Writes a genuine synthetic IMA measurement list and the PCR values that prove it");
  app.add_option("--entries", o.entries, "Entries in the list, boot_aggregate included")->required();
  app.add_option("--out", o.out, "Output directory (created if missing)")->required();
  app.add_option("--template", o.template_name, "ima-ng, ima-sig or evm-sig")
      ->check(CLI::IsMember({"ima-ng", "ima-sig", "evm-sig"}));
  app.add_option("--violations", o.violations, "Violations among the entries, spread evenly");
  app.add_option("--seed", o.seed, "Seed for paths and digests");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    Generate(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "generate_ima_log: %s\n", e.what());
    return 2;
  }
  return 0;
}
