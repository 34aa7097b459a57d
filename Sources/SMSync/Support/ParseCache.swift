#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Values parsed from text, kept by that text for the life of each thread: env files repeat the same few thousand
/// version specs across hundreds of files. Each thread has a table of its own, so a lookup takes no lock, and the
/// values it hands out were made on that thread (their reference counts are not shared by cores parsing at once).
/// Bounded: a thread's table starts over when it holds `limit` entries.
final class ParseCache<Value: Sendable>: Sendable {
    private final class Table {
        var entries: [String: Value] = [:]
    }

    private let key: pthread_key_t
    private let limit: Int

    init(limit: Int = 1 << 16) {
        self.limit = max(1, limit)
        var key = pthread_key_t()
        // A table is released with its thread. The caches are static: the key lives as long as the process.
        let created = pthread_key_create(&key) { table in
            if let table { Unmanaged<AnyObject>.fromOpaque(table).release() }
        }
        precondition(created == 0, "pthread_key_create failed: \(created)")
        self.key = key
    }

    /// This thread's table, made on first use.
    private var table: Table {
        if let table = pthread_getspecific(key) { return Unmanaged<Table>.fromOpaque(table).takeUnretainedValue() }
        let table = Table()
        pthread_setspecific(key, Unmanaged.passRetained(table).toOpaque())
        return table
    }

    func value(for text: String) -> Value? {
        table.entries[text]
    }

    func insert(_ value: Value, for text: String) {
        let table = self.table
        if table.entries.count >= limit { table.entries.removeAll(keepingCapacity: true) }
        table.entries[text] = value
    }
}
