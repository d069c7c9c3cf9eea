import Glibc
import GatewayNetwork
import Synchronization

/// Client addresses denied for a while because an alert rule with `deny_for` fired; the
/// `ip_access` filter answers them 403 (`temporary_deny`).
///
/// One list per process (``shared``). Only the event dispatcher thread writes it: it adds
/// entries when an alert fires, prunes expired ones and, with `redis:`, replaces the whole
/// list with the shared Redis set every `deny_list.sync_interval`. Worker threads read it on
/// every request through ``lookup(_:now:)``: one atomic load while the list is empty (the
/// usual case), else a shared read lock and a hash lookup; never I/O, never waiting on a writer
/// for longer than a dictionary update.
public final class TemporaryDenyList: @unchecked Sendable {
    /// The process-wide list the dispatcher fills and `ip_access` reads.
    public static let shared = TemporaryDenyList()

    public struct Entry: Sendable, Equatable {
        /// When the deny ends: Unix milliseconds (wall clock, comparable across instances).
        public var expiresAt: Int64
        /// The alert rule that put the address here.
        public var alert: String

        public init(expiresAt: Int64, alert: String) {
            self.expiresAt = expiresAt
            self.alert = alert
        }
    }

    /// `entries.count`, readable without the lock: zero means nobody is denied.
    private let size = Atomic<Int>(0)
    private let lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)
    private var entries: [IPAddress: Entry] = [:]
    private var capacity = 100_000

    public init() {
        // Writers first: a reader then waits at most for one update, and the dispatcher thread
        // is never starved by a stream of requests.
        var attributes = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attributes)
        pthread_rwlockattr_setkind_np(&attributes, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        pthread_rwlock_init(lock, &attributes)
        pthread_rwlockattr_destroy(&attributes)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    /// The entry denying `ip` now, if any (IPv4-mapped addresses count as their IPv4 form).
    /// Cheap enough for every request.
    @inline(__always)
    public func lookup(_ ip: IPAddress, now: Int64? = nil) -> Entry? {
        guard size.load(ordering: .acquiring) > 0 else { return nil }
        return slowLookup(ip, now: now)
    }

    @inline(never)
    private func slowLookup(_ ip: IPAddress, now: Int64?) -> Entry? {
        let key = ip.unmapped
        pthread_rwlock_rdlock(lock)
        let entry = entries[key]
        pthread_rwlock_unlock(lock)
        guard let entry, entry.expiresAt > (now ?? EventRecord.now()) else { return nil }
        return entry
    }

    /// Denies `ip` until `expiresAt` because of `alert`; an existing entry that ends later is
    /// kept. When the list holds ``maxEntries`` the entry that ends first makes room. Returns
    /// whether the list changed.
    @discardableResult
    public func add(_ ip: IPAddress, until expiresAt: Int64, alert: String) -> Bool {
        write {
            let key = ip.unmapped
            if let existing = entries[key], existing.expiresAt >= expiresAt { return false }
            if entries[key] == nil, entries.count >= capacity,
               let first = entries.min(by: { $0.value.expiresAt < $1.value.expiresAt }) {
                guard first.value.expiresAt < expiresAt else { return false }
                entries[first.key] = nil
            }
            entries[key] = Entry(expiresAt: expiresAt, alert: alert)
            return true
        }
    }

    /// Lifts the deny of `ip`, if any.
    public func remove(_ ip: IPAddress) {
        write { entries[ip.unmapped] = nil }
    }

    /// Drops entries that ended at or before `now` (Unix milliseconds); returns how many.
    @discardableResult
    public func prune(now: Int64 = EventRecord.now()) -> Int {
        let expired = read { entries.contains { $0.value.expiresAt <= now } }
        guard expired else { return 0 }
        return write {
            let before = entries.count
            entries = entries.filter { $0.value.expiresAt > now }
            return before - entries.count
        }
    }

    /// Replaces the whole list (with what the shared Redis set holds); a no-op when equal.
    package func replace(with newEntries: [IPAddress: Entry]) {
        guard read({ entries != newEntries }) else { return }
        var replaced = newEntries
        write { swap(&entries, &replaced) }  // the old storage is freed outside the lock
    }

    public func removeAll() {
        write { entries.removeAll() }
    }

    /// How many addresses are on the list (expired ones included until pruned).
    public var count: Int { size.load(ordering: .relaxed) }

    /// A copy of the list.
    public var snapshot: [IPAddress: Entry] { read { entries } }

    /// The bound on entries (`deny_list.max_entries`).
    public var maxEntries: Int {
        get { read { capacity } }
        set { write { capacity = max(1, newValue) } }
    }

    private func read<R>(_ body: () -> R) -> R {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return body()
    }

    private func write<R>(_ body: () -> R) -> R {
        pthread_rwlock_wrlock(lock)
        defer {
            size.store(entries.count, ordering: .releasing)
            pthread_rwlock_unlock(lock)
        }
        return body()
    }
}
