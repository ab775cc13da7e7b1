// Errors at boundaries are values: Result<T> holds a T or an Error that says what went wrong
// and where (byte offset in a binary input, line and column in a text input).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace imawatch {

enum class ErrorKind {
  kInvalidInput,  // malformed data from outside: a log, a policy, a config
  kIo,            // the OS refused: open, read, write
  kNotFound,
  kUnsupported,  // well-formed, but something this build does not handle
  kTpm,          // the TPM or its transport failed
  kInternal,
};

// Where in an input an error was found. Unset members are unknown or do not apply.
struct Position {
  std::string source;  // file name or description of the input
  std::optional<uint64_t> byte_offset;
  std::optional<uint64_t> entry_index;  // 0-based measurement-list entry
  std::optional<uint32_t> line;         // 1-based
  std::optional<uint32_t> column;       // 1-based

  std::string ToString() const;
};

class Error {
 public:
  Error(ErrorKind kind, std::string message, Position where = {})
      : kind_(kind), message_(std::move(message)), where_(std::move(where)) {}

  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }
  const Position& where() const { return where_; }
  Error& WithSource(std::string source) {
    if (where_.source.empty()) where_.source = std::move(source);
    return *this;
  }
  // "source:line:column: message" or "source: byte offset N (entry K): message".
  std::string ToString() const;

 private:
  ErrorKind kind_;
  std::string message_;
  Position where_;
};

inline Error InvalidInput(std::string message, Position where = {}) {
  return Error(ErrorKind::kInvalidInput, std::move(message), std::move(where));
}
inline Error IoError(std::string message, Position where = {}) {
  return Error(ErrorKind::kIo, std::move(message), std::move(where));
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design, like std::expected
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }
  Error& error() { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT
  static Status Ok() { return {}; }
  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

}  // namespace imawatch
