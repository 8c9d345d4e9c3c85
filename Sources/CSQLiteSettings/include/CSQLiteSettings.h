#ifndef PISHKHAN_CSQLITESETTINGS_H
#define PISHKHAN_CSQLITESETTINGS_H

/* Process-wide SQLite settings (sqlite3_config is variadic, so Swift cannot call it). Must run before the
   first connection opens; returns SQLITE_OK (0), or the first error (SQLITE_MISUSE once SQLite is in use). */
int pishkhan_sqlite_configure(void);

#endif
