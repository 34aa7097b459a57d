import Synchronization

/// Values parsed from text, kept by that text for the whole process and shared between threads: env files repeat
/// the same few thousand version specs across hundreds of files, and a shared value also shares its storage.
/// Bounded: when it holds `limit` entries it starts over.
final class ParseCache<Value: Sendable>: Sendable {
    private let storage = Mutex<[String: Value]>([:])
    private let limit: Int

    init(limit: Int = 1 << 16) {
        self.limit = limit
    }

    func value(for text: String) -> Value? {
        storage.withLock { $0[text] }
    }

    func insert(_ value: Value, for text: String) {
        storage.withLock { entries in
            if entries.count >= limit { entries.removeAll(keepingCapacity: true) }
            entries[text] = value
        }
    }
}
