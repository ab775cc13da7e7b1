#include "monitor/store/sqlite.h"

#include <limits>

namespace imawatch::store {

namespace {

Error SqliteError(sqlite3* db, const std::string& source, std::string_view what, int rc) {
  std::string message(what);
  message += ": ";
  // Primary code decides the wording; a damaged or foreign file deserves plain words.
  switch (rc & 0xff) {
    case SQLITE_NOTADB:
      message += "not a SQLite database, or its header is damaged";
      break;
    case SQLITE_CORRUPT:
      message += "the database file is corrupt";
      break;
    default:
      message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
      break;
  }
  message += " (sqlite code " + std::to_string(rc) + ")";
  ErrorKind kind = ErrorKind::kIo;
  if ((rc & 0xff) == SQLITE_CONSTRAINT) kind = ErrorKind::kInvalidInput;
  return Error(kind, std::move(message), Position{.source = source});
}

}  // namespace

void Statement::NoteBind(int rc) {
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

Statement& Statement::Bind(int index, int64_t value) {
  NoteBind(sqlite3_bind_int64(stmt_.get(), index, value));
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  if (text.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    NoteBind(SQLITE_TOOBIG);
    return *this;
  }
  // SQLITE_TRANSIENT: SQLite copies, so the caller's buffer may go away before the step.
  NoteBind(
      sqlite3_bind_text(stmt_.get(), index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT));
  return *this;
}

Statement& Statement::BindBlob(int index, std::span<const uint8_t> blob) {
  if (blob.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    NoteBind(SQLITE_TOOBIG);
    return *this;
  }
  // A zero-length blob, not NULL, even when data() is null.
  static const uint8_t kEmpty = 0;
  const void* data = blob.empty() ? &kEmpty : blob.data();
  NoteBind(sqlite3_bind_blob(stmt_.get(), index, data, static_cast<int>(blob.size()), SQLITE_TRANSIENT));
  return *this;
}

Statement& Statement::BindNull(int index) {
  NoteBind(sqlite3_bind_null(stmt_.get(), index));
  return *this;
}

Result<bool> Statement::Step() {
  if (bind_rc_ != SQLITE_OK) return SqliteError(db_, source_, "binding parameters", bind_rc_);
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error error = SqliteError(db_, source_, sqlite3_sql(stmt_.get()), rc);
  sqlite3_reset(stmt_.get());
  return error;
}

Status Statement::Run() {
  for (;;) {
    Result<bool> row = Step();
    if (!row.ok()) return row.error();
    if (!*row) return Status::Ok();
  }
}

void Statement::Reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
  bind_rc_ = SQLITE_OK;
}

bool Statement::IsNull(int column) const { return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL; }

int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_.get(), column); }

std::string Statement::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_.get(), column);
  int size = sqlite3_column_bytes(stmt_.get(), column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(size));
}

std::vector<uint8_t> Statement::Blob(int column) const {
  const auto* data = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_.get(), column));
  int size = sqlite3_column_bytes(stmt_.get(), column);
  if (data == nullptr) return {};
  return std::vector<uint8_t>(data, data + size);
}

Result<Database> Database::Open(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  Database db(raw, path);  // owns the handle even when the open failed
  if (rc != SQLITE_OK) return db.LastError("opening the database", rc);
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

Status Database::Exec(const std::string& sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &message);
  sqlite3_free(message);  // the same text is in sqlite3_errmsg
  if (rc != SQLITE_OK) return LastError(sql.size() > 80 ? sql.substr(0, 80) + "..." : sql, rc);
  return Status::Ok();
}

Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return LastError(sql, rc);
  }
  return Statement(db_.get(), stmt, path_);
}

Result<int64_t> Database::QueryInt(std::string_view sql) {
  Result<Statement> stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.error();
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.error();
  if (!*row) return Error(ErrorKind::kInternal, std::string(sql) + ": no row", Position{.source = path_});
  return stmt->Int(0);
}

Result<std::string> Database::QueryText(std::string_view sql) {
  Result<Statement> stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.error();
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.error();
  if (!*row) return Error(ErrorKind::kInternal, std::string(sql) + ": no row", Position{.source = path_});
  return stmt->Text(0);
}

Error Database::LastError(std::string_view what, int rc) const {
  return SqliteError(db_.get(), path_, what, rc);
}

Result<Transaction> Transaction::Begin(Database& db) {
  // IMMEDIATE takes the write lock up front: a busy database fails (after the busy timeout) at
  // BEGIN, not halfway through a batch.
  Status begun = db.Exec("BEGIN IMMEDIATE");
  if (!begun.ok()) return begun.error();
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->Exec("ROLLBACK");
}

Status Transaction::Commit() {
  Status committed = db_->Exec("COMMIT");
  if (!committed.ok()) return committed;  // the destructor rolls back
  db_ = nullptr;
  return Status::Ok();
}

}  // namespace imawatch::store
