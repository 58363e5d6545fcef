#pragma once
// What pg_store.cpp and internal/pg_records.cpp share: the store's connection.

#include "store/internal/pg_db.h"
#include "store/pg_store.h"

namespace sb::store {

struct PgStore::Db {
  pg::Connection conn;
};

}  // namespace sb::store
