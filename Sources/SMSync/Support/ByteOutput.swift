import Foundation

/// UTF-8 output in chunks: writers append to a reused buffer, and `drain` receives it each time it fills (and on
/// `flush`). The report writers stream through one of these, so a 100 MB report never exists in memory whole.
///
/// The bytes live in memory this output allocates and writes through a pointer (an append is a bounds check and a
/// copy). A copy of an output shares that memory until either grows; use one output at a time, as the writers do.
public struct ByteOutput {
    /// Owns the memory `base` points to; freed with the last output that holds it.
    private final class Storage {
        let base: UnsafeMutablePointer<UInt8>

        init(capacity: Int) { base = .allocate(capacity: capacity) }

        deinit { base.deallocate() }
    }

    private var storage: Storage
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var count = 0
    /// Nil for an output that grows instead of draining.
    private let drain: ((UnsafeBufferPointer<UInt8>) -> Void)?

    /// `drain` is called with the buffered bytes whenever `capacity` is reached and on `flush()`; the bytes are
    /// valid only during the call.
    public init(capacity: Int = 1 << 16, drain: @escaping (UnsafeBufferPointer<UInt8>) -> Void) {
        self.capacity = max(capacity, 64)
        self.drain = drain
        storage = Storage(capacity: self.capacity)
        base = storage.base
    }

    /// An output that keeps everything (growing as needed) and never drains.
    init(growingFrom capacity: Int) {
        self.capacity = max(capacity, 64)
        drain = nil
        storage = Storage(capacity: self.capacity)
        base = storage.base
    }

    /// The bytes written and not yet drained, for the duration of `body`.
    func withWrittenBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        withExtendedLifetime(storage) { body(UnsafeBufferPointer(start: base, count: count)) }
    }

    /// Forgets the bytes written (a growing output keeps its memory for the next ones).
    mutating func removeAll() { count = 0 }

    /// Hands the buffered bytes to `drain` and empties the buffer, keeping its storage.
    public mutating func flush() {
        guard count > 0, let drain else { return }
        withExtendedLifetime(storage) { drain(UnsafeBufferPointer(start: base, count: count)) }
        count = 0
    }

    /// Makes room for `needed` more bytes: drains, or for a growing output moves to a larger allocation.
    private mutating func makeRoom(_ needed: Int) {
        guard drain == nil else {
            flush()
            return
        }
        let larger = max(capacity * 2, count + needed)
        let moved = Storage(capacity: larger)
        moved.base.update(from: base, count: count)
        storage = moved
        base = moved.base
        capacity = larger
    }

    @inline(__always)
    public mutating func append(_ byte: UInt8) {
        if count == capacity { makeRoom(1) }
        base[count] = byte
        count += 1
    }

    @inline(__always)
    public mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        let size = bytes.count
        if size > capacity - count {
            makeRoom(size)
            if size > capacity - count, let drain {
                // Larger than the buffer: straight through (the buffer is empty after `makeRoom`).
                drain(bytes)
                return
            }
        }
        (base + count).update(from: source, count: size)
        count += size
    }

    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append($0) }
    }

    @inline(__always)
    public mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { append($0) }
    }

    /// Text built at run time (a literal takes the `StaticString` overload, which needs no UTF-8 check).
    @_disfavoredOverload
    public mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append($0) }
    }

    @_disfavoredOverload
    public mutating func append(_ text: Substring) {
        var text = text
        text.withUTF8 { append($0) }
    }

    /// The decimal digits of `value` (with `-` when negative), written without building a string.
    public mutating func append(_ value: Int) {
        if value >= 0, value < 10 {
            append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { digits in
            var magnitude = value.magnitude
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 {
                start -= 1
                digits[start] = UInt8(ascii: "-")
            }
            append(UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    public mutating func append(spaces count: Int) {
        var remaining = count
        while remaining > 0 {
            let chunk = min(remaining, Self.spaces.count)
            Self.spaces.withUnsafeBufferPointer { append(UnsafeBufferPointer(rebasing: $0[0..<chunk])) }
            remaining -= chunk
        }
    }

    private static let spaces = [UInt8](repeating: UInt8(ascii: " "), count: 64)

    /// A JSON string literal: `"`, `\`, control characters, DEL, U+2028 and U+2029 escaped (as
    /// `JSONValue.serialized` escapes them); runs that need nothing are copied in one call.
    public mutating func appendJSONString(_ text: String) {
        append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            var index = 0
            let count = bytes.count
            while index < count {
                let byte = bytes[index]
                let escape: StaticString?
                var width = 1
                switch byte {
                case UInt8(ascii: "\""): escape = "\\\""
                case UInt8(ascii: "\\"): escape = "\\\\"
                case UInt8(ascii: "\n"): escape = "\\n"
                case UInt8(ascii: "\r"): escape = "\\r"
                case UInt8(ascii: "\t"): escape = "\\t"
                case 0..<0x20, 0x7F: escape = nil
                case 0xE2
                where index + 2 < count && bytes[index + 1] == 0x80
                    && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9):
                    escape = nil
                    width = 3
                default:
                    index += 1
                    continue
                }
                if start < index { append(UnsafeBufferPointer(rebasing: bytes[start..<index])) }
                if let escape {
                    append(escape)
                } else {
                    let scalar = width == 3 ? (bytes[index + 2] == 0xA8 ? 0x2028 : 0x2029) : Int(byte)
                    appendUnicodeEscape(scalar)
                }
                index += width
                start = index
            }
            if start < count { append(UnsafeBufferPointer(rebasing: bytes[start..<count])) }
        }
        append(UInt8(ascii: "\""))
    }

    private mutating func appendUnicodeEscape(_ scalar: Int) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        append("\\u")
        append(hex[(scalar >> 12) & 0xF])
        append(hex[(scalar >> 8) & 0xF])
        append(hex[(scalar >> 4) & 0xF])
        append(hex[scalar & 0xF])
    }
}

extension ByteOutput {
    /// Appends what `render` writes for each of `count` items, in item order, rendering on every core: items go
    /// in batches of about `batch`, each batch split into a few contiguous parts rendered at once and appended in
    /// order, so at most one batch is held in memory besides this output's buffer.
    public mutating func appendRendered(
        count: Int, batch: Int = 128, _ render: @Sendable (Int, inout ByteOutput) -> Void
    ) {
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
        guard count > 1, cores > 1 else {
            for index in 0..<count { render(index, &self) }
            return
        }
        let batchSize = max(batch, cores)
        let partCount = min(batchSize, cores * 2)
        // Each part renders into an output of its own, which this one takes its bytes from as they are (a part
        // larger than the buffer goes straight to `drain`) and which the next batch reuses, so a batch's pages are
        // touched once, not once per batch.
        let slots = (0..<partCount).map { _ in PartOutput() }
        var start = 0
        while start < count {
            let end = min(count, start + batchSize)
            let parts = min(end - start, partCount)
            let work = (0..<parts).map { part in
                (
                    range: (start + part * (end - start) / parts)..<(start + (part + 1) * (end - start) / parts),
                    slot: slots[part]
                )
            }
            ParallelMap.forEach(work) { item in
                for index in item.range { render(index, &item.slot.output) }
            }
            for part in 0..<parts {
                slots[part].output.withWrittenBytes { append($0) }
                slots[part].output.removeAll()
            }
            start = end
        }
    }

    /// Runs `body` with an output that collects everything, and returns the bytes.
    public static func collect(_ body: (inout ByteOutput) -> Void) -> [UInt8] {
        let box = CollectedBytes()
        var output = ByteOutput { box.bytes.append(contentsOf: $0) }
        body(&output)
        output.flush()
        return box.bytes
    }

    /// Runs `body` with an output that collects everything, and returns it as text.
    public static func collectText(_ body: (inout ByteOutput) -> Void) -> String {
        String(decoding: collect(body), as: UTF8.self)
    }
}

/// A part's output, used by one rendering task at a time (the tasks of a batch have a part each, and the batch
/// ends before the parts are read).
private final class PartOutput: @unchecked Sendable {
    var output = ByteOutput(growingFrom: 1 << 16)
}

private final class CollectedBytes {
    var bytes: [UInt8] = []
}
