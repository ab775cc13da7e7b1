// Which measured files make up a configuration, in the order the consuming program reads them.
#pragma once

#include <string>
#include <vector>

#include "monitor/compliance/attested_reader.h"
#include "monitor/compliance/evidence.h"

namespace imawatch::compliance {

enum class FileOrder {
  kListed,      // patterns in listed order, each pattern's matches sorted by path
  kDropInDirs,  // systemd/kmod drop-in directories: pattern matches merged by file name (the
                // first listed directory wins a name), sorted by file name; plain paths follow
                // in listed order (/etc/sysctl.conf after /etc/sysctl.d/*.conf)
};

struct ConfigFileSet {
  std::vector<const MeasuredFile*> files;
  // Files present on disk that match the patterns but were never measured this boot: not read
  // by the consumer since boot (or outside the IMA policy), so not part of what is judged.
  std::vector<std::string> unmeasured_on_disk;
};

ConfigFileSet ResolveConfigFiles(const std::vector<std::string>& patterns, const Evidence& evidence,
                                 AttestedReader& reader, FileOrder order);

std::string BaseName(const std::string& path);
std::string DirName(const std::string& path);

}  // namespace imawatch::compliance
