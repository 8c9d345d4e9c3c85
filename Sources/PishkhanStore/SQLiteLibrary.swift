import CSQLiteSettings

/// SQLite's process-wide settings, applied once, before the first connection opens (every place that opens
/// one reads `configured` first). There is one: no global memory statistics, which cost a process-wide mutex
/// on every allocation. That takes about a tenth off the single writer's work per message (in-process ingest
/// 18,489–20,746 → 21,249–24,495 msg/s over five alternating pairs of runs). When something opened SQLite
/// first, SQLite refuses the setting and keeps its default, which is correct, only slower.
public enum SQLiteLibrary {
    public static let configured: Bool = pishkhan_sqlite_configure() == 0
}
