/// Streams JSON into a `ByteOutput` in exactly the layout of `JSONValue.serialized()`: two-space indentation,
/// `"key": value`, `[]` and `{}` for empty containers. Keys are static text, written without escaping.
public struct JSONWriter {
    public var output: ByteOutput
    /// Per open container: whether it has an item yet.
    private var open: [Bool] = []

    public init(output: ByteOutput) {
        self.output = output
        open.reserveCapacity(16)
    }

    /// The elements of the innermost open array: `count` of them, each written by `write` into a writer at the
    /// same depth, rendered on every core (``ByteOutput/appendRendered(count:batch:_:)``); the bytes are exactly
    /// those of writing them one after the other.
    public mutating func elements(count: Int, _ write: @Sendable (Int, inout JSONWriter) -> Void) {
        guard count > 0, let last = open.indices.last else { return }
        let stack = open
        let hadItems = open[last]
        output.appendRendered(count: count) { index, out in
            var part = JSONWriter(output: ByteOutput(capacity: 64) { _ in })
            part.open = stack
            part.open[last] = hadItems || index > 0
            swap(&part.output, &out)
            part.element()
            write(index, &part)
            swap(&part.output, &out)
        }
        open[last] = true
    }

    /// Before an item in the innermost container: the comma, newline and indentation.
    private mutating func separate() {
        guard let last = open.indices.last else { return }
        if open[last] { output.append(UInt8(ascii: ",")) }
        open[last] = true
        output.append(UInt8(ascii: "\n"))
        output.append(spaces: 2 * open.count)
    }

    private mutating func close(_ byte: UInt8) {
        if open.removeLast() {
            output.append(UInt8(ascii: "\n"))
            output.append(spaces: 2 * open.count)
        }
        output.append(byte)
    }

    /// How many containers are open.
    public var depth: Int { open.count }

    /// Appends `literal` as it is and counts the innermost container as having an item: for a writer that spells
    /// out a fixed layout (separator, indentation and key of a known depth) instead of calling `key(_:)`.
    public mutating func appendLayout(_ literal: StaticString) {
        output.append(literal)
        if let last = open.indices.last { open[last] = true }
    }

    /// Starts the next array element (a no-op at the top level).
    public mutating func element() { separate() }

    /// Starts the value of `key` in the innermost object.
    public mutating func key(_ key: StaticString) {
        separate()
        output.append(UInt8(ascii: "\""))
        output.append(key)
        output.append("\": " as StaticString)
    }

    public mutating func beginObject() {
        output.append(UInt8(ascii: "{"))
        open.append(false)
    }

    public mutating func endObject() { close(UInt8(ascii: "}")) }

    public mutating func beginArray() {
        output.append(UInt8(ascii: "["))
        open.append(false)
    }

    public mutating func endArray() { close(UInt8(ascii: "]")) }

    public mutating func string(_ value: String?) {
        if let value { output.appendJSONString(value) } else { output.append("null" as StaticString) }
    }

    public mutating func int(_ value: Int) { output.append(value) }

    public mutating func bool(_ value: Bool) { output.append(value ? "true" as StaticString : "false") }

    public mutating func field(_ name: StaticString, _ value: String?) {
        key(name)
        string(value)
    }

    public mutating func field(_ name: StaticString, _ value: Int) {
        key(name)
        int(value)
    }

    /// `"name": ["a", "b"]`.
    public mutating func field(_ name: StaticString, strings: [String]) {
        key(name)
        beginArray()
        for value in strings {
            element()
            string(value)
        }
        endArray()
    }
}
