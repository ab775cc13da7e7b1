// What the evaluator judges: plain values built by whoever read and proved the measurement
// list (the daemon from ima::Replay, tests from fixtures). Only proved measurements count:
// an entry the TPM has not vouched for says nothing about the node.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "monitor/ima/digest.h"

namespace imawatch::compliance {

// One measurement-list entry of a file (or of a kernel module, for MODULE_CHECK entries).
struct MeasuredFile {
  std::string path;           // as logged: canonical, container-side for reads inside containers
  ima::Digest file_digest;    // the d-ng / d field
  std::string template_name;  // "ima-ng", "ima-sig", "evm-sig", "ima"
  uint64_t entry_index = 0;   // 0-based position in the measurement list
  uint32_t pcr = 10;
  // evm-sig iuid/igid/imode: the inode's owner and mode when it was measured (kernel >= 5.14).
  std::optional<uint32_t> uid, gid;
  std::optional<uint16_t> mode;
  bool proved = false;  // the replay up to this entry matched the TPM's PCR
  // How: e.g. "sha256 PCR 10 replay = TPM quote (nonce ...)"; shared by the entries one reading
  // proved (a node has many more entries than readings).
  std::shared_ptr<const std::string> bank_proof;
};

// Holds the latest proved measurement of every path a node's list names (a node has ~10^5):
// compactly, each path and digest stored once in an arena, so the daemon's resident set stays
// small. Lookups hand out MeasuredFile views built on demand.
class Evidence {
 public:
  Evidence() = default;
  // A copy owns all its paths, whatever the original referred to.
  Evidence(const Evidence& other);
  Evidence& operator=(const Evidence& other);
  Evidence(Evidence&&) noexcept = default;
  Evidence& operator=(Evidence&&) noexcept = default;

  // Keeps, per path, the proved entry with the highest entry_index. Unproved entries and
  // violations (all-zero file digest: the kernel could not measure) are ignored; returns
  // whether the entry was kept. stored_path, when given, equals file.path and lives in storage
  // that outlives this Evidence (an allow list's name table): it is referred to, not copied
  // (on a healthy node most measured paths are in an allow list).
  bool AddFile(MeasuredFile file, std::string_view stored_path = {});
  // A MODULE_CHECK entry: the module was loaded this boot.
  bool AddModule(MeasuredFile module);
  // Whether the IMA policy in effect measures MODULE_CHECK: only then does the absence of a
  // module's entry mean it was not loaded.
  void set_measures_module_loads(bool value) { measures_module_loads_ = value; }

  // The latest proved measurement of path under any canonical spelling (see path_glob.h).
  // Pointers from Latest() and Matching() stay valid until the next AddFile.
  const MeasuredFile* Latest(std::string_view path) const;
  // Latest proved measurements of every path matching a pattern, sorted by path.
  std::vector<const MeasuredFile*> Matching(std::string_view pattern) const;
  // MODULE_CHECK entries of a module, by module name ('-' and '_' are the same, as for modprobe).
  std::vector<const MeasuredFile*> ModuleEntries(std::string_view module) const;

  size_t file_count() const { return records_.size(); }
  // Every kept file measurement, in entry order.
  void ForEachFile(const std::function<void(const MeasuredFile&)>& visit) const;
  const std::vector<MeasuredFile>& modules() const { return modules_; }
  // Template names of the kept entries (evm-sig means owner and mode were recorded).
  const std::set<std::string>& templates() const { return templates_; }
  bool measures_module_loads() const { return measures_module_loads_; }

  // While set, every path and pattern asked of Latest() and Matching() is appended to log:
  // what a verdict depended on, found or not (the daemon evaluates a recommendation again
  // when one of them is measured).
  void set_lookup_log(std::vector<std::string>* log) const { lookup_log_ = log; }

 private:
  struct Record {
    std::shared_ptr<const std::string> bank_proof;
    const char* path = nullptr;
    uint64_t entry_index = 0;
    uint32_t path_size = 0;
    uint32_t digest_offset = 0;
    uint32_t uid = 0, gid = 0;
    uint16_t mode = 0;
    ima::HashAlgo algo = ima::HashAlgo::kSha1;
    uint8_t digest_size = 0;
    uint8_t template_id = 0;
    uint8_t pcr = 0;
    uint8_t owner_fields = 0;  // kHasUid | kHasGid | kHasMode
  };

  static std::string_view PathOf(const Record& r) { return {r.path, r.path_size}; }
  const char* CopyPath(std::string_view path);
  std::optional<uint32_t> Find(std::string_view path) const;
  void Store(Record& r, const MeasuredFile& file);
  void GrowSlots();
  MeasuredFile Materialize(uint32_t record) const;
  const MeasuredFile* View(uint32_t record) const;
  void SortPaths() const;

  std::vector<std::unique_ptr<char[]>> path_chunks_;  // paths not held elsewhere, each once
  size_t path_chunk_size_ = 0, path_chunk_used_ = 0;
  std::vector<uint8_t> digests_;  // file digests, replaced in place when re-measured
  std::vector<Record> records_;   // one per path
  std::vector<uint32_t> slots_;   // open-addressing hash of paths: record index + 1, 0 free
  std::vector<std::string> template_names_;
  std::vector<MeasuredFile> modules_;
  std::set<std::string> templates_;
  bool measures_module_loads_ = false;
  mutable std::vector<uint32_t> by_path_;  // record indexes sorted by path, for pattern scans
  mutable std::deque<MeasuredFile> views_;
  mutable std::unordered_map<uint32_t, const MeasuredFile*> view_of_;
  mutable std::vector<std::string>* lookup_log_ = nullptr;
};

// "cramfs" from "/usr/lib/modules/5.15.0-91-generic/kernel/fs/cramfs/cramfs.ko.zst"; '-' becomes
// '_' as in the kernel's module names.
std::string ModuleNameFromPath(std::string_view path);
std::string NormalizeModuleName(std::string_view name);

}  // namespace imawatch::compliance
