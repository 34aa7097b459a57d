/// One MessagePack value (https://github.com/msgpack/msgpack/blob/master/spec.md).
///
/// Positive integers (positive fixint, `uint 8`…`uint 64`) decode to ``uint(_:)``; negative fixint and
/// `int 8`…`int 64` to ``int(_:)``; `float 32` is widened to a `Double`.
public enum MessagePackValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case float(Double)
    case string(String)
    case binary([UInt8])
    case array([MessagePackValue])
    /// Key-value pairs in the order of the encoding.
    case map([MessagePackPair])
    case ext(type: Int8, data: [UInt8])

    /// The text of a ``string(_:)``.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The bytes of a ``binary(_:)``.
    public var binaryValue: [UInt8]? {
        if case .binary(let value) = self { return value }
        return nil
    }

    /// An integer of either signedness, when it fits an `Int`.
    public var intValue: Int? {
        switch self {
        case .int(let value): return Int(exactly: value)
        case .uint(let value): return Int(exactly: value)
        default: return nil
        }
    }

    public var arrayValue: [MessagePackValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var mapValue: [MessagePackPair]? {
        if case .map(let value) = self { return value }
        return nil
    }

    /// The value of the first pair whose key is the string `key`, in a ``map(_:)``.
    public subscript(key: String) -> MessagePackValue? {
        guard case .map(let pairs) = self else { return nil }
        for pair in pairs {
            if case .string(let name) = pair.key, name == key { return pair.value }
        }
        return nil
    }
}

/// One entry of a MessagePack map.
public struct MessagePackPair: Sendable, Hashable {
    public var key: MessagePackValue
    public var value: MessagePackValue

    public init(_ key: MessagePackValue, _ value: MessagePackValue) {
        self.key = key
        self.value = value
    }
}

/// Why bytes are not a MessagePack value: the problem and the byte offset where it was found.
public struct MessagePackError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The input ends inside a value.
        case truncated
        /// Arrays and maps nest deeper than the decoder allows.
        case tooDeep
        /// `0xc1`, which the format never uses.
        case reservedByte
        /// A string that is not UTF-8.
        case invalidUTF8
        /// Bytes after the one top-level value.
        case trailingBytes
    }

    public var kind: Kind
    public var offset: Int

    public init(_ kind: Kind, offset: Int) {
        self.kind = kind
        self.offset = offset
    }

    public var description: String {
        switch kind {
        case .truncated: "MessagePack: the data ends inside a value (at byte \(offset))"
        case .tooDeep: "MessagePack: arrays and maps nest too deeply (at byte \(offset))"
        case .reservedByte: "MessagePack: the reserved byte 0xc1 (at byte \(offset))"
        case .invalidUTF8: "MessagePack: a string that is not UTF-8 (at byte \(offset))"
        case .trailingBytes: "MessagePack: bytes after the value (at byte \(offset))"
        }
    }
}

/// A MessagePack decoder for untrusted input: every length is checked against the bytes that remain before
/// anything is allocated, nesting is bounded, and no input makes it trap.
public struct MessagePackDecoder: Sendable {
    /// The deepest nesting of arrays and maps accepted.
    public var maxDepth: Int

    public init(maxDepth: Int = 64) {
        self.maxDepth = max(1, maxDepth)
    }

    /// The one value `bytes` encode; bytes after it are an error.
    public func decode(_ bytes: [UInt8]) throws(MessagePackError) -> MessagePackValue {
        let result = bytes.withUnsafeBufferPointer { buffer -> Result<MessagePackValue, MessagePackError> in
            do throws(MessagePackError) {
                var reader = Reader(bytes: buffer, maxDepth: maxDepth)
                let value = try reader.value(depth: 0)
                guard reader.offset == buffer.count else {
                    throw MessagePackError(.trailingBytes, offset: reader.offset)
                }
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        let maxDepth: Int
        var offset = 0

        init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
            self.bytes = bytes
            self.maxDepth = maxDepth
        }

        var remaining: Int { bytes.count - offset }

        mutating func byte() throws(MessagePackError) -> UInt8 {
            guard offset < bytes.count else { throw MessagePackError(.truncated, offset: offset) }
            defer { offset += 1 }
            return bytes[offset]
        }

        /// A big-endian unsigned integer of `width` bytes.
        mutating func unsigned(_ width: Int) throws(MessagePackError) -> UInt64 {
            guard remaining >= width else { throw MessagePackError(.truncated, offset: offset) }
            var value: UInt64 = 0
            for index in 0..<width {
                value = (value << 8) | UInt64(bytes[offset + index])
            }
            offset += width
            return value
        }

        mutating func signed(_ width: Int) throws(MessagePackError) -> Int64 {
            let raw = try unsigned(width)
            let shift = UInt64(64 - 8 * width)
            return Int64(bitPattern: raw << shift) >> Int64(shift)
        }

        mutating func raw(_ count: UInt64) throws(MessagePackError) -> [UInt8] {
            guard count <= UInt64(remaining) else { throw MessagePackError(.truncated, offset: offset) }
            let length = Int(count)
            defer { offset += length }
            return Array(bytes[offset..<offset + length])
        }

        mutating func string(_ count: UInt64) throws(MessagePackError) -> MessagePackValue {
            let start = offset
            let data = try raw(count)
            guard let text = String(validating: data, as: UTF8.self) else {
                throw MessagePackError(.invalidUTF8, offset: start)
            }
            return .string(text)
        }

        mutating func array(_ count: UInt64, depth: Int) throws(MessagePackError) -> MessagePackValue {
            // Every element takes at least one byte.
            guard count <= UInt64(remaining) else { throw MessagePackError(.truncated, offset: offset) }
            guard depth < maxDepth else { throw MessagePackError(.tooDeep, offset: offset) }
            var values: [MessagePackValue] = []
            values.reserveCapacity(Int(count))
            for _ in 0..<count {
                values.append(try value(depth: depth + 1))
            }
            return .array(values)
        }

        mutating func map(_ count: UInt64, depth: Int) throws(MessagePackError) -> MessagePackValue {
            // Every pair takes at least two bytes.
            guard count <= UInt64(remaining / 2) else { throw MessagePackError(.truncated, offset: offset) }
            guard depth < maxDepth else { throw MessagePackError(.tooDeep, offset: offset) }
            var pairs: [MessagePackPair] = []
            pairs.reserveCapacity(Int(count))
            for _ in 0..<count {
                let key = try value(depth: depth + 1)
                let value = try value(depth: depth + 1)
                pairs.append(MessagePackPair(key, value))
            }
            return .map(pairs)
        }

        mutating func ext(_ count: UInt64) throws(MessagePackError) -> MessagePackValue {
            let type = Int8(bitPattern: try byte())
            return .ext(type: type, data: try raw(count))
        }

        mutating func value(depth: Int) throws(MessagePackError) -> MessagePackValue {
            let start = offset
            let head = try byte()
            switch head {
            case 0x00...0x7f: return .uint(UInt64(head))
            case 0x80...0x8f: return try map(UInt64(head & 0x0f), depth: depth)
            case 0x90...0x9f: return try array(UInt64(head & 0x0f), depth: depth)
            case 0xa0...0xbf: return try string(UInt64(head & 0x1f))
            case 0xc0: return .null
            case 0xc1: throw MessagePackError(.reservedByte, offset: start)
            case 0xc2: return .bool(false)
            case 0xc3: return .bool(true)
            case 0xc4: return .binary(try raw(try unsigned(1)))
            case 0xc5: return .binary(try raw(try unsigned(2)))
            case 0xc6: return .binary(try raw(try unsigned(4)))
            case 0xc7: return try ext(try unsigned(1))
            case 0xc8: return try ext(try unsigned(2))
            case 0xc9: return try ext(try unsigned(4))
            case 0xca: return .float(Double(Float(bitPattern: UInt32(try unsigned(4)))))
            case 0xcb: return .float(Double(bitPattern: try unsigned(8)))
            case 0xcc: return .uint(try unsigned(1))
            case 0xcd: return .uint(try unsigned(2))
            case 0xce: return .uint(try unsigned(4))
            case 0xcf: return .uint(try unsigned(8))
            case 0xd0: return .int(try signed(1))
            case 0xd1: return .int(try signed(2))
            case 0xd2: return .int(try signed(4))
            case 0xd3: return .int(try signed(8))
            case 0xd4: return try ext(1)
            case 0xd5: return try ext(2)
            case 0xd6: return try ext(4)
            case 0xd7: return try ext(8)
            case 0xd8: return try ext(16)
            case 0xd9: return try string(try unsigned(1))
            case 0xda: return try string(try unsigned(2))
            case 0xdb: return try string(try unsigned(4))
            case 0xdc: return try array(try unsigned(2), depth: depth)
            case 0xdd: return try array(try unsigned(4), depth: depth)
            case 0xde: return try map(try unsigned(2), depth: depth)
            case 0xdf: return try map(try unsigned(4), depth: depth)
            default: return .int(Int64(Int8(bitPattern: head)))
            }
        }
    }
}
