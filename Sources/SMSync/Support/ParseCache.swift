import Synchronization

/// Values parsed from text, kept by that text for the whole process and shared between threads: env files repeat
/// the same few thousand version specs across hundreds of files, and a shared value also shares its storage.
/// Bounded: when a shard holds its share of `limit` entries it starts over. The entries are spread over shards
/// with a lock each, chosen by a few bytes of the text, so that threads parsing at once seldom wait on each other.
final class ParseCache<Value: Sendable>: Sendable {
    private static var shardCount: Int { 16 }
    private final class Shard: Sendable {
        let entries = Mutex<[String: Value]>([:])
    }

    private let shards: [Shard]
    private let limit: Int

    init(limit: Int = 1 << 16) {
        self.limit = max(1, limit / Self.shardCount)
        shards = (0..<Self.shardCount).map { _ in Shard() }
    }

    /// A shard from the length and the last two bytes of `text` (the digits that differ between versions).
    private func shard(_ text: String) -> Int {
        let utf8 = text.utf8
        var mix = utf8.count
        var seen = 0
        for byte in utf8.reversed() {
            mix = mix &* 31 &+ Int(byte)
            seen += 1
            if seen == 2 { break }
        }
        return mix & (Self.shardCount - 1)
    }

    func value(for text: String) -> Value? {
        shards[shard(text)].entries.withLock { $0[text] }
    }

    func insert(_ value: Value, for text: String) {
        let limit = self.limit
        shards[shard(text)].entries.withLock { entries in
            if entries.count >= limit { entries.removeAll(keepingCapacity: true) }
            entries[text] = value
        }
    }
}
