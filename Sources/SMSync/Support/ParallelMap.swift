import Dispatch

/// CPU-bound work over independent items on every core, results in input order. For pure work only (parsing
/// files already in hand or small reads): it holds the calling thread until every item is done.
public enum ParallelMap {
    public static func map<Item: Sendable, Output: Sendable>(
        _ items: [Item], _ transform: @Sendable (Item) -> Output
    ) -> [Output] {
        guard items.count > 1 else { return items.map(transform) }
        let results = ResultSlots<Output>(count: items.count)
        DispatchQueue.concurrentPerform(iterations: items.count) { index in
            results.set(index, transform(items[index]))
        }
        return results.values()
    }

    /// Runs `body` for every item on every core; returns when all are done.
    public static func forEach<Item: Sendable>(_ items: [Item], _ body: @Sendable (Item) -> Void) {
        _ = map(items, body)
    }
}

/// One slot per item, each written once by the iteration that owns it: distinct memory per index, so the
/// concurrent writes never touch the same storage (and never the class's own properties).
private final class ResultSlots<Output>: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<Output?>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    func set(_ index: Int, _ value: Output) { slots[index] = value }

    func values() -> [Output] { slots.compactMap { $0 } }
}
