// The store's schema as an ordered list of migration steps. Step i takes the database from
// PRAGMA user_version i to i + 1; steps are only ever appended, never edited once released
// (doc/store-format.md).
#pragma once

#include <cstdint>
#include <span>

#include "monitor/base/result.h"
#include "monitor/store/sqlite.h"

namespace imawatch::store {

// PRAGMA application_id of an imawatch store ("IMAW"): another program's SQLite file is refused.
inline constexpr int64_t kApplicationId = 0x494D4157;

// The SQL of each step, in order; the schema version this code writes is their count.
std::span<const char* const> MigrationSteps();
int64_t CurrentSchemaVersion();

// Brings the database up to CurrentSchemaVersion(), one transaction per step, so a crash leaves
// it at a whole step. A database newer than this code, or not an imawatch store, is refused.
Status Migrate(Database& db);

}  // namespace imawatch::store
