/// A small MessagePack encoder for building test data (shard indexes, shards): each value in its most compact
/// format, map entries in the order given.
public indirect enum MiniMessagePack: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case string(String)
    case binary([UInt8])
    case array([MiniMessagePack])
    case map([(String, MiniMessagePack)])

    public var encoded: [UInt8] {
        var out: [UInt8] = []
        encode(into: &out)
        return out
    }

    static func bigEndian(_ value: UInt64, _ width: Int) -> [UInt8] {
        (0..<width).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }

    func encode(into out: inout [UInt8]) {
        switch self {
        case .null:
            out.append(0xc0)
        case .bool(let value):
            out.append(value ? 0xc3 : 0xc2)
        case .int(let value):
            if value >= 0 {
                let raw = UInt64(value)
                if raw < 128 {
                    out.append(UInt8(raw))
                } else if raw <= 0xff {
                    out += [0xcc] + Self.bigEndian(raw, 1)
                } else if raw <= 0xffff {
                    out += [0xcd] + Self.bigEndian(raw, 2)
                } else if raw <= 0xffff_ffff {
                    out += [0xce] + Self.bigEndian(raw, 4)
                } else {
                    out += [0xcf] + Self.bigEndian(raw, 8)
                }
            } else if value >= -32 {
                out.append(UInt8(bitPattern: Int8(value)))
            } else {
                out += [0xd3] + Self.bigEndian(UInt64(bitPattern: value), 8)
            }
        case .string(let text):
            let bytes = Array(text.utf8)
            if bytes.count < 32 {
                out.append(0xa0 | UInt8(bytes.count))
            } else if bytes.count <= 0xff {
                out += [0xd9, UInt8(bytes.count)]
            } else if bytes.count <= 0xffff {
                out += [0xda] + Self.bigEndian(UInt64(bytes.count), 2)
            } else {
                out += [0xdb] + Self.bigEndian(UInt64(bytes.count), 4)
            }
            out += bytes
        case .binary(let bytes):
            if bytes.count <= 0xff {
                out += [0xc4, UInt8(bytes.count)]
            } else if bytes.count <= 0xffff {
                out += [0xc5] + Self.bigEndian(UInt64(bytes.count), 2)
            } else {
                out += [0xc6] + Self.bigEndian(UInt64(bytes.count), 4)
            }
            out += bytes
        case .array(let values):
            if values.count < 16 {
                out.append(0x90 | UInt8(values.count))
            } else if values.count <= 0xffff {
                out += [0xdc] + Self.bigEndian(UInt64(values.count), 2)
            } else {
                out += [0xdd] + Self.bigEndian(UInt64(values.count), 4)
            }
            for value in values { value.encode(into: &out) }
        case .map(let pairs):
            if pairs.count < 16 {
                out.append(0x80 | UInt8(pairs.count))
            } else if pairs.count <= 0xffff {
                out += [0xde] + Self.bigEndian(UInt64(pairs.count), 2)
            } else {
                out += [0xdf] + Self.bigEndian(UInt64(pairs.count), 4)
            }
            for (key, value) in pairs {
                MiniMessagePack.string(key).encode(into: &out)
                value.encode(into: &out)
            }
        }
    }
}
