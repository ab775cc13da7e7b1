// A thin RAII layer over the SQLite C API: a connection, prepared statements finalized by their
// destructor, and a transaction that rolls back unless committed. Column reads copy, so no view
// into SQLite's buffers outlives a step or reset.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/base/result.h"

namespace imawatch::store {

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt, std::string source)
      : db_(db), stmt_(stmt), source_(std::move(source)) {}

  // 1-based parameter indexes, like sqlite3_bind_*. A failed bind is reported by Step().
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::string_view text);
  Statement& BindBlob(int index, std::span<const uint8_t> blob);
  Statement& BindNull(int index);

  // true: a row is ready; false: the statement is done.
  Result<bool> Step();
  // Runs to completion, expecting no row.
  Status Run();
  // Ready to run again with new bindings.
  void Reset();

  bool IsNull(int column) const;
  int64_t Int(int column) const;
  std::string Text(int column) const;
  std::vector<uint8_t> Blob(int column) const;

 private:
  struct Finalizer {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  void NoteBind(int rc);

  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
  std::string source_;
  int bind_rc_ = SQLITE_OK;
};

class Database {
 public:
  // Opens (creating if needed) the file read-write. SQLite opens lazily: a damaged file is
  // noticed by the first statement, not here.
  static Result<Database> Open(const std::string& path);

  Status Exec(const std::string& sql);
  Result<Statement> Prepare(std::string_view sql);
  // A single integer from a query such as "PRAGMA user_version".
  Result<int64_t> QueryInt(std::string_view sql);
  Result<std::string> QueryText(std::string_view sql);

  // The connection's last error, with the file as source.
  Error LastError(std::string_view what, int rc) const;
  const std::string& path() const { return path_; }
  sqlite3* raw() const { return db_.get(); }

 private:
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  std::unique_ptr<sqlite3, Closer> db_;
  std::string path_;
};

// BEGIN IMMEDIATE ... COMMIT; the destructor rolls back a transaction not committed, so every
// early return on an error leaves the database as it was.
class Transaction {
 public:
  static Result<Transaction> Begin(Database& db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Status Commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;
};

}  // namespace imawatch::store
