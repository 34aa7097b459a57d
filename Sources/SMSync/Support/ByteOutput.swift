import Foundation

/// UTF-8 output in chunks: writers append to a reused buffer, and `drain` receives it each time it fills (and on
/// `flush`). The report writers stream through one of these, so a 100 MB report never exists in memory whole.
public struct ByteOutput {
    public private(set) var buffer: [UInt8]
    private let capacity: Int
    private let drain: ([UInt8]) -> Void

    /// `drain` is called with the buffered bytes whenever `capacity` is reached and on `flush()`.
    public init(capacity: Int = 1 << 16, drain: @escaping ([UInt8]) -> Void) {
        self.capacity = max(capacity, 64)
        self.drain = drain
        buffer = []
        buffer.reserveCapacity(self.capacity)
    }

    /// An output that keeps everything in `buffer` (starting from the given storage) and never drains.
    init(growing storage: [UInt8]) {
        capacity = .max
        drain = { _ in }
        buffer = storage
    }

    /// Hands the buffered bytes to `drain` and empties the buffer, keeping its storage.
    public mutating func flush() {
        guard !buffer.isEmpty else { return }
        drain(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    private mutating func reserve(_ count: Int) {
        if buffer.count + count > capacity { flush() }
    }

    @inline(__always)
    public mutating func append(_ byte: UInt8) {
        reserve(1)
        buffer.append(byte)
    }

    @inline(__always)
    public mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        if bytes.count > capacity {
            flush()
            drain(Array(bytes))
            return
        }
        reserve(bytes.count)
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: [UInt8]) {
        if bytes.count > capacity {
            flush()
            drain(bytes)
            return
        }
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
        // Each part renders into a buffer of its own that is handed to `drain` as it is (no copy) and reused by
        // the next batch, so a batch's pages are touched once, not once per batch.
        let slots = (0..<partCount).map { _ in PartBuffer() }
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
                var output = ByteOutput(growing: item.slot.take())
                for index in item.range { render(index, &output) }
                item.slot.bytes = output.buffer
            }
            flush()
            for part in 0..<parts {
                let bytes = slots[part].take()
                if !bytes.isEmpty { drain(bytes) }
                slots[part].bytes = bytes
                slots[part].bytes.removeAll(keepingCapacity: true)
            }
            start = end
        }
    }

    /// Runs `body` with an output that collects everything, and returns the bytes.
    public static func collect(_ body: (inout ByteOutput) -> Void) -> [UInt8] {
        let box = CollectedBytes()
        var output = ByteOutput { box.bytes += $0 }
        body(&output)
        output.flush()
        return box.bytes
    }

    /// Runs `body` with an output that collects everything, and returns it as text.
    public static func collectText(_ body: (inout ByteOutput) -> Void) -> String {
        String(decoding: collect(body), as: UTF8.self)
    }
}

/// A part's buffer, owned by one rendering task at a time (`take` leaves it empty, so the task's copy is unique).
private final class PartBuffer: @unchecked Sendable {
    var bytes: [UInt8] = []

    func take() -> [UInt8] {
        var taken: [UInt8] = []
        swap(&taken, &bytes)
        return taken
    }
}

private final class CollectedBytes {
    var bytes: [UInt8] = []
}
