import Foundation
import Synchronization

/// Where time comes from. Everything timed (SLA clocks, the scheduler, the store's timestamps) asks
/// one of these, so tests can run a month of calendar time in milliseconds.
public protocol WallClock: Sendable {
    func now() -> Date
}

/// The real time.
public struct SystemWallClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// Time that moves only when told to.
public final class ManualWallClock: WallClock {
    private let current: Mutex<Date>

    public init(_ start: Date) { current = Mutex(start) }

    public func now() -> Date { current.withLock { $0 } }

    public func advance(by seconds: TimeInterval) {
        current.withLock { $0 += seconds }
    }

    public func set(_ date: Date) {
        current.withLock { $0 = date }
    }
}
