// OpenAuditLogTail: audit.log read through Env, line by line as auditd appends.
#include <array>
#include <cstring>
#include <optional>
#include <span>
#include <utility>

#include "monitor/audit/audit_log_parser.h"
#include "monitor/audit/audit_source.h"

namespace imawatch::audit {
namespace {

constexpr size_t kChunk = 64 << 10;
// A Poll reads at most this much; a backlog is worked off over several Polls.
constexpr uint64_t kMaxPollBytes = 16 << 20;

class AuditLogTail final : public AuditSource {
 public:
  AuditLogTail(Env& env, std::string path) : env_(env), path_(std::move(path)) {}

  Status Open(bool from_start) {
    if (Status s = OpenFile(); !s) return s;
    if (from_start) return {};
    // Line numbers in errors count from the file's first line, so count the lines skipped.
    std::array<uint8_t, kChunk> chunk{};
    uint8_t last = '\n';
    while (true) {
      auto n = file_->ReadAt(offset_, chunk);
      if (!n) return n.error();
      if (*n == 0) break;
      for (size_t i = 0; i < *n; ++i) line_ += chunk[i] == '\n';
      last = chunk[*n - 1];
      offset_ += *n;
    }
    // A line being written at Open belongs to the past.
    skip_to_newline_ = last != '\n';
    return {};
  }

  Result<std::vector<ImaAuditEvent>> Poll() override {
    std::optional<Error> error;
    auto st = env_.StatNoFollow(path_);
    // A missing path is a rotation in progress: go on with the open file.
    if (st && st->inode != inode_) {
      // Rotated: first what auditd wrote to the old file before it moved it.
      auto eof = ReadMore(error);
      if (!eof) return eof.error();
      if (!*eof) return Finish(error);
      TakeLines(/*at_end=*/true, error);
      if (Status s = OpenFile(); !s) return s.error();
      Restart();
    } else if (st && st->size < offset_) {
      Restart();  // truncated in place
    }
    if (auto eof = ReadMore(error); !eof) return eof.error();
    return Finish(error);
  }

  std::string description() const override { return "audit.log tail " + path_; }

 private:
  // stat, open, stat: equal inodes mean the file opened is the one stat saw.
  Status OpenFile() {
    for (int attempt = 0;; ++attempt) {
      auto before = env_.StatNoFollow(path_);
      if (!before) return before.error();
      auto file = env_.OpenForRead(path_);
      if (!file) return file.error();
      auto after = env_.StatNoFollow(path_);
      if (!after) return after.error();
      if (before->inode == after->inode || attempt == 3) {
        file_ = std::move(*file);
        inode_ = after->inode;
        return {};
      }
    }
  }

  void Restart() {
    offset_ = 0;
    buffer_.clear();
    line_ = 1;
    skip_to_newline_ = false;
  }

  // Reads what was appended, up to kMaxPollBytes; true at end of file.
  Result<bool> ReadMore(std::optional<Error>& error) {
    std::array<uint8_t, kChunk> chunk{};
    uint64_t budget = kMaxPollBytes;
    while (budget > 0) {
      auto n = file_->ReadAt(offset_, std::span(chunk).first(std::min<uint64_t>(chunk.size(), budget)));
      if (!n) return n.error();
      if (*n == 0) return true;
      offset_ += *n;
      budget -= *n;
      buffer_.append(reinterpret_cast<const char*>(chunk.data()), *n);
      TakeLines(/*at_end=*/false, error);
    }
    return false;
  }

  // Parses the complete lines in buffer_ (all of it at_end); a bad line is reported once and
  // parsing goes on after it.
  void TakeLines(bool at_end, std::optional<Error>& error) {
    if (skip_to_newline_) {
      size_t nl = buffer_.find('\n');
      if (nl == std::string::npos) {
        buffer_.clear();
        return;
      }
      buffer_.erase(0, nl + 1);
      ++line_;
      skip_to_newline_ = false;
    }
    size_t end = at_end ? buffer_.size() : buffer_.rfind('\n') + 1;  // npos + 1 == 0
    std::string_view complete = std::string_view(buffer_).substr(0, end);
    while (!complete.empty()) {
      AuditParse parse = ParseAuditLines(complete, path_, line_);
      for (auto& e : parse.events) pending_.push_back(std::move(e));
      if (parse.error && !error) error = std::move(parse.error);
      line_ += parse.lines;
      complete.remove_prefix(parse.consumed);
      if (parse.consumed == 0) break;
    }
    buffer_.erase(0, end);
    if (buffer_.size() > kMaxAuditLineBytes) {
      if (!error) {
        error = InvalidInput("line longer than " + std::to_string(kMaxAuditLineBytes) +
                                 " bytes without a newline: not an audit record",
                             {.source = path_, .line = line_});
      }
      buffer_.clear();
      skip_to_newline_ = true;
    }
  }

  Result<std::vector<ImaAuditEvent>> Finish(std::optional<Error>& error) {
    if (error) return std::move(*error);
    return std::exchange(pending_, {});
  }

  Env& env_;
  std::string path_;
  std::unique_ptr<RandomAccessFile> file_;
  uint64_t inode_ = 0;
  uint64_t offset_ = 0;                 // bytes of the file read so far
  std::string buffer_;                  // read, not yet parsed: the start of a line without its newline
  uint32_t line_ = 1;                   // line number of buffer_'s first line
  bool skip_to_newline_ = false;        // dropping the rest of a line
  std::vector<ImaAuditEvent> pending_;  // parsed, not yet returned (held back by an error)
};

}  // namespace

Result<std::unique_ptr<AuditSource>> OpenAuditLogTail(Env& env, std::string path, bool from_start) {
  auto tail = std::make_unique<AuditLogTail>(env, std::move(path));
  if (Status s = tail->Open(from_start); !s) return s.error();
  return std::unique_ptr<AuditSource>(std::move(tail));
}

}  // namespace imawatch::audit
