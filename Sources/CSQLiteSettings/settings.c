#include <sqlite3.h>
#include "CSQLiteSettings.h"

int pishkhan_sqlite_configure(void) {
    /* No global memory statistics: with them SQLite takes a process-wide mutex on every allocation and
       free, which the single writer does many times per message. Pishkhan uses neither sqlite3_memory_used
       nor a soft heap limit, the only things that need them. (Connections already take no mutex of their
       own: GRDB opens them with SQLITE_OPEN_NOMUTEX and hands each to one thread at a time.) */
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
