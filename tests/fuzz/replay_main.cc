// Stand-in for libFuzzer's driver in non-clang builds: runs the target once on every file of
// the corpus directories given on the command line.
#include <dirent.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  size_t runs = 0;
  for (int i = 1; i < argc; ++i) {
    DIR* dir = opendir(argv[i]);
    if (!dir) {
      std::fprintf(stderr, "cannot open corpus %s\n", argv[i]);
      return 2;
    }
    while (dirent* e = readdir(dir)) {
      std::string path = std::string(argv[i]) + "/" + e->d_name;
      if (e->d_name[0] == '.') continue;
      std::ifstream in(path, std::ios::binary);
      std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
      ++runs;
    }
    closedir(dir);
  }
  std::printf("replayed %zu corpus inputs\n", runs);
  return runs > 0 ? 0 : 1;
}
