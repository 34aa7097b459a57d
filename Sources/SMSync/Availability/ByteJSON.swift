/// A JSON value parsed from bytes by ``ByteJSONParser``. Numbers keep their text.
public enum ByteJSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([ByteJSONValue])
    case object([ByteJSONMember])

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var arrayValue: [ByteJSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// An integral number that fits an `Int` (`3`, `-1`; `3.0` and `1e3` are not).
    public var intValue: Int? {
        if case .number(let text) = self { return Int(text) }
        return nil
    }

    /// The value of the first member named `key`, in an ``object(_:)``.
    public subscript(key: String) -> ByteJSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }
}

/// One member of a JSON object.
public struct ByteJSONMember: Sendable, Hashable {
    public var key: String
    public var value: ByteJSONValue

    public init(_ key: String, _ value: ByteJSONValue) {
        self.key = key
        self.value = value
    }
}

/// Why bytes are not the JSON expected: what was wrong and the byte offset.
public struct ByteJSONError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var offset: Int

    public init(_ message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }

    public var description: String { "\(message) (at byte \(offset))" }
}

/// A JSON reader over raw bytes for untrusted input: it parses values, or skips them without building
/// anything, with bounded nesting; every read is bounds-checked, so no input makes it trap.
public struct ByteJSONParser {
    public let bytes: UnsafeRawBufferPointer
    public var offset: Int
    public let maxDepth: Int

    public init(bytes: UnsafeRawBufferPointer, offset: Int = 0, maxDepth: Int = 64) {
        self.bytes = bytes
        self.offset = offset
        self.maxDepth = maxDepth
    }

    /// Parses the one value of `bytes` (whitespace around it allowed).
    public static func parse(_ bytes: [UInt8], maxDepth: Int = 64) throws(ByteJSONError) -> ByteJSONValue {
        let result = bytes.withUnsafeBytes { raw -> Result<ByteJSONValue, ByteJSONError> in
            do throws(ByteJSONError) {
                var parser = ByteJSONParser(bytes: raw, maxDepth: maxDepth)
                let value = try parser.value()
                parser.skipWhitespace()
                guard parser.offset == raw.count else {
                    throw ByteJSONError("JSON: text after the value", offset: parser.offset)
                }
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    // MARK: Tokens

    @inline(__always)
    public mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0a, 0x0d: offset += 1
            default: return
            }
        }
    }

    /// The next byte after whitespace, not consumed; nil at the end.
    @inline(__always)
    public mutating func peek() -> UInt8? {
        skipWhitespace()
        return offset < bytes.count ? bytes[offset] : nil
    }

    /// Consumes `byte` after whitespace, or throws naming `what` was expected.
    public mutating func expect(_ byte: UInt8, _ what: String) throws(ByteJSONError) {
        guard peek() == byte else { throw unexpected(what) }
        offset += 1
    }

    func unexpected(_ what: String) -> ByteJSONError {
        guard offset < bytes.count else {
            return ByteJSONError("JSON: the text ends where \(what) was expected", offset: offset)
        }
        let byte = bytes[offset]
        let shown = (0x21...0x7e).contains(byte) ? "`\(Character(Unicode.Scalar(byte)))`" : "byte \(byte)"
        return ByteJSONError("JSON: \(shown) where \(what) was expected", offset: offset)
    }

    /// After the opening quote: the offset of the closing quote and whether the string has escapes.
    @inline(__always)
    public mutating func stringEnd() throws(ByteJSONError) -> (end: Int, escaped: Bool) {
        var index = offset
        var escaped = false
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if byte == 0x22 { return (index, escaped) }
            if byte == 0x5c {
                escaped = true
                index += 2
                continue
            }
            if byte < 0x20 { throw ByteJSONError("JSON: a control character inside a string", offset: index) }
            index += 1
        }
        throw ByteJSONError("JSON: the text ends inside a string", offset: offset)
    }

    /// Reads a string; the parser is at its opening quote (after whitespace).
    public mutating func string() throws(ByteJSONError) -> String {
        try expect(0x22, "a string")
        let start = offset
        let (end, escaped) = try stringEnd()
        offset = end + 1
        let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
        if !escaped {
            guard let text = String(validating: slice, as: UTF8.self) else {
                throw ByteJSONError("JSON: a string that is not UTF-8", offset: start)
            }
            return text
        }
        return try unescape(slice, at: start)
    }

    private func unescape(_ slice: UnsafeRawBufferPointer, at start: Int) throws(ByteJSONError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(slice.count)
        var index = 0
        func hex4(_ at: Int) throws(ByteJSONError) -> UInt32 {
            guard at + 4 <= slice.count else { throw ByteJSONError("JSON: a short \\u escape", offset: start + at) }
            var value: UInt32 = 0
            for byte in slice[at..<at + 4] {
                let digit: UInt8
                switch byte {
                case 0x30...0x39: digit = byte - 0x30
                case 0x61...0x66: digit = byte - 0x61 + 10
                case 0x41...0x46: digit = byte - 0x41 + 10
                default: throw ByteJSONError("JSON: a bad \\u escape", offset: start + at)
                }
                value = value << 4 | UInt32(digit)
            }
            return value
        }
        while index < slice.count {
            let byte = slice[index]
            guard byte == 0x5c else {
                out.append(byte)
                index += 1
                continue
            }
            guard index + 1 < slice.count else { throw ByteJSONError("JSON: a bad escape", offset: start + index) }
            let code = slice[index + 1]
            index += 2
            switch code {
            case 0x22, 0x5c, 0x2f: out.append(code)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0c)
            case 0x6e: out.append(0x0a)
            case 0x72: out.append(0x0d)
            case 0x74: out.append(0x09)
            case 0x75:
                var scalar = try hex4(index)
                index += 4
                if (0xd800..<0xdc00).contains(scalar), index + 6 <= slice.count, slice[index] == 0x5c,
                    slice[index + 1] == 0x75
                {
                    let low = try hex4(index + 2)
                    if (0xdc00..<0xe000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xd800) << 10) + (low - 0xdc00)
                        index += 6
                    }
                }
                let character = Unicode.Scalar(scalar) ?? "\u{fffd}"
                out.append(contentsOf: Array(String(character).utf8))
            default:
                throw ByteJSONError("JSON: a bad escape", offset: start + index - 1)
            }
        }
        guard let text = String(validating: out, as: UTF8.self) else {
            throw ByteJSONError("JSON: a string that is not UTF-8", offset: start)
        }
        return text
    }

    private mutating func literal(_ word: String) throws(ByteJSONError) {
        let expected = Array(word.utf8)
        guard offset + expected.count <= bytes.count else { throw unexpected("a value") }
        for (index, byte) in expected.enumerated() where bytes[offset + index] != byte {
            throw unexpected("a value")
        }
        offset += expected.count
    }

    private mutating func numberText() throws(ByteJSONError) -> String {
        let start = offset
        while offset < bytes.count, Self.isNumberByte(bytes[offset]) {
            offset += 1
        }
        guard offset > start,
            let text = String(validating: UnsafeRawBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self),
            Double(text) != nil
        else {
            offset = start
            throw unexpected("a number")
        }
        return text
    }

    @inline(__always)
    static func isNumberByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x2d, 0x2b, 0x2e, 0x65, 0x45: true
        default: false
        }
    }

    // MARK: Values

    /// Parses the next value.
    public mutating func value(depth: Int = 0) throws(ByteJSONError) -> ByteJSONValue {
        guard let byte = peek() else { throw unexpected("a value") }
        switch byte {
        case 0x22: return .string(try string())
        case 0x7b:
            guard depth < maxDepth else {
                throw ByteJSONError("JSON: objects and arrays nest too deeply", offset: offset)
            }
            offset += 1
            var members: [ByteJSONMember] = []
            if peek() == 0x7d {
                offset += 1
                return .object(members)
            }
            while true {
                let key = try string()
                try expect(0x3a, "`:`")
                members.append(ByteJSONMember(key, try value(depth: depth + 1)))
                guard let next = peek() else { throw unexpected("`,` or `}`") }
                offset += 1
                if next == 0x7d { return .object(members) }
                guard next == 0x2c else {
                    offset -= 1
                    throw unexpected("`,` or `}`")
                }
            }
        case 0x5b:
            guard depth < maxDepth else {
                throw ByteJSONError("JSON: objects and arrays nest too deeply", offset: offset)
            }
            offset += 1
            var values: [ByteJSONValue] = []
            if peek() == 0x5d {
                offset += 1
                return .array(values)
            }
            while true {
                values.append(try value(depth: depth + 1))
                guard let next = peek() else { throw unexpected("`,` or `]`") }
                offset += 1
                if next == 0x5d { return .array(values) }
                guard next == 0x2c else {
                    offset -= 1
                    throw unexpected("`,` or `]`")
                }
            }
        case 0x74:
            try literal("true")
            return .bool(true)
        case 0x66:
            try literal("false")
            return .bool(false)
        case 0x6e:
            try literal("null")
            return .null
        default:
            return .number(try numberText())
        }
    }

    /// Skips the next value without building it. Strings and brackets are followed exactly; the content of
    /// skipped numbers and literals is not validated.
    public mutating func skipValue() throws(ByteJSONError) {
        guard let first = peek() else { throw unexpected("a value") }
        if first == 0x22 {
            offset += 1
            offset = try stringEnd().end + 1
            return
        }
        guard first == 0x7b || first == 0x5b else {
            let start = offset
            while offset < bytes.count {
                let byte = bytes[offset]
                if byte == 0x2c || byte == 0x7d || byte == 0x5d || byte == 0x20 || byte == 0x0a || byte == 0x0d
                    || byte == 0x09
                {
                    break
                }
                offset += 1
            }
            guard offset > start else { throw unexpected("a value") }
            return
        }
        // Brackets: count depth; strings are jumped over whole.
        var depth = 0
        let count = bytes.count
        var index = offset
        while index < count {
            let byte = bytes[index]
            switch byte {
            case 0x22:
                index += 1
                while true {
                    guard index < count else {
                        throw ByteJSONError("JSON: the text ends inside a string", offset: index)
                    }
                    let inner = bytes[index]
                    if inner == 0x22 { break }
                    index += inner == 0x5c ? 2 : 1
                }
            case 0x7b, 0x5b:
                depth += 1
                if depth > maxDepth {
                    throw ByteJSONError("JSON: objects and arrays nest too deeply", offset: index)
                }
            case 0x7d, 0x5d:
                depth -= 1
                if depth == 0 {
                    offset = index + 1
                    return
                }
            default:
                break
            }
            index += 1
        }
        throw ByteJSONError("JSON: the text ends inside an object or array", offset: offset)
    }
}
