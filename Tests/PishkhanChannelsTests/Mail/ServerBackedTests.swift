import Testing

/// Parent of every suite that starts real servers. Serialized (recursively), so one Dovecot or SMTP sink runs
/// at a time: timing checks such as IDLE latency and the throughput figures are then not skewed by siblings.
@Suite(.serialized)
struct ServerBackedTests {}
