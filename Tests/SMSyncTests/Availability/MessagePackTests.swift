import SMSync
import SMSyncTestSupport
import Testing

@Suite("MessagePack decoder")
struct MessagePackTests {
    func decode(_ bytes: [UInt8]) throws -> MessagePackValue {
        try MessagePackDecoder().decode(bytes)
    }

    func failure(_ bytes: [UInt8], maxDepth: Int = 64) -> MessagePackError? {
        do {
            _ = try MessagePackDecoder(maxDepth: maxDepth).decode(bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test func integersOfEveryWidth() throws {
        #expect(try decode([0x00]) == .uint(0))
        #expect(try decode([0x7f]) == .uint(127))
        #expect(try decode([0xff]) == .int(-1))
        #expect(try decode([0xe0]) == .int(-32))
        #expect(try decode([0xcc, 0xff]) == .uint(255))
        #expect(try decode([0xcd, 0x01, 0x00]) == .uint(256))
        #expect(try decode([0xce, 0xde, 0xad, 0xbe, 0xef]) == .uint(0xdead_beef))
        #expect(try decode([0xcf] + [UInt8](repeating: 0xff, count: 8)) == .uint(UInt64.max))
        #expect(try decode([0xd0, 0x80]) == .int(-128))
        #expect(try decode([0xd0, 0x7f]) == .int(127))
        #expect(try decode([0xd1, 0xff, 0x00]) == .int(-256))
        #expect(try decode([0xd2, 0x80, 0x00, 0x00, 0x00]) == .int(Int64(Int32.min)))
        #expect(try decode([0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0]) == .int(Int64.min))
        #expect(try decode([0xd3, 0, 0, 0, 0, 0, 0, 0x01, 0x00]).intValue == 256)
        #expect(try decode([0xcf] + [UInt8](repeating: 0xff, count: 8)).intValue == nil)
    }

    @Test func floatsNilAndBooleans() throws {
        #expect(try decode([0xca, 0x3f, 0xc0, 0x00, 0x00]) == .float(1.5))
        #expect(try decode([0xcb, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18]) == .float(3.141592653589793))
        #expect(try decode([0xc0]) == .null)
        #expect(try decode([0xc2]) == .bool(false))
        #expect(try decode([0xc3]) == .bool(true))
    }

    @Test func stringsOfEveryWidth() throws {
        #expect(try decode([0xa0]) == .string(""))
        #expect(try decode([0xa3] + Array("abc".utf8)) == .string("abc"))
        let long = String(repeating: "x", count: 40)
        #expect(try decode([0xd9, 40] + Array(long.utf8)) == .string(long))
        #expect(try decode([0xda, 0x00, 0x03] + Array("é!".utf8)) == .string("é!"))
        #expect(try decode([0xdb, 0, 0, 0, 2] + Array("ok".utf8)) == .string("ok"))
        #expect(failure([0xa2, 0xc3, 0x28])?.kind == .invalidUTF8)
    }

    @Test func binariesOfEveryWidth() throws {
        #expect(try decode([0xc4, 0x02, 0x01, 0x02]) == .binary([1, 2]))
        #expect(try decode([0xc5, 0x00, 0x01, 0x09]) == .binary([9]))
        #expect(try decode([0xc6, 0, 0, 0, 0]) == .binary([]))
        #expect(try decode([0xc4, 0x02, 0x01, 0x02]).binaryValue == [1, 2])
    }

    @Test func arraysAndMapsOfEveryWidth() throws {
        #expect(try decode([0x92, 0x01, 0xa1, 0x61]) == .array([.uint(1), .string("a")]))
        #expect(try decode([0xdc, 0x00, 0x01, 0xc0]) == .array([.null]))
        #expect(try decode([0xdd, 0, 0, 0, 2, 0xc2, 0xc3]) == .array([.bool(false), .bool(true)]))
        let map = try decode([0x82, 0xa1, 0x61, 0x01, 0xa1, 0x62, 0x92, 0x02, 0x03])
        #expect(map["a"] == .uint(1))
        #expect(map["b"] == .array([.uint(2), .uint(3)]))
        #expect(map["c"] == nil)
        #expect(try decode([0xde, 0x00, 0x01, 0x01, 0x02]) == .map([MessagePackPair(.uint(1), .uint(2))]))
        #expect(try decode([0xdf, 0, 0, 0, 1, 0xc0, 0xc0]) == .map([MessagePackPair(.null, .null)]))
    }

    @Test func extensionsOfEveryWidth() throws {
        #expect(try decode([0xd4, 0x01, 0xaa]) == .ext(type: 1, data: [0xaa]))
        #expect(try decode([0xd5, 0xff, 1, 2]) == .ext(type: -1, data: [1, 2]))
        #expect(try decode([0xd6, 0x02] + [1, 2, 3, 4]) == .ext(type: 2, data: [1, 2, 3, 4]))
        #expect(
            try decode([0xd7, 0x03] + [UInt8](repeating: 7, count: 8))
                == .ext(type: 3, data: .init(repeating: 7, count: 8)))
        #expect(
            try decode([0xd8, 0x04] + [UInt8](repeating: 8, count: 16))
                == .ext(type: 4, data: .init(repeating: 8, count: 16)))
        #expect(try decode([0xc7, 0x01, 0x05, 0x09]) == .ext(type: 5, data: [9]))
        #expect(try decode([0xc8, 0x00, 0x00, 0x06]) == .ext(type: 6, data: []))
        #expect(try decode([0xc9, 0, 0, 0, 1, 0x07, 0x01]) == .ext(type: 7, data: [1]))
    }

    @Test func malformedInputIsNamed() {
        #expect(failure([])?.kind == .truncated)
        #expect(failure([0xc1])?.kind == .reservedByte)
        #expect(failure([0xcd, 0x01])?.kind == .truncated)
        #expect(failure([0x01, 0x02])?.kind == .trailingBytes)
        // A length far beyond the input is refused before anything is allocated.
        #expect(failure([0xdb, 0xff, 0xff, 0xff, 0xff])?.kind == .truncated)
        #expect(failure([0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0])?.kind == .truncated)
        #expect(failure([0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0])?.kind == .truncated)
        #expect(failure([0xc6, 0xff, 0xff, 0xff, 0xff])?.kind == .truncated)
        #expect(failure([0xc9, 0xff, 0xff, 0xff, 0xff, 0x01])?.kind == .truncated)
        // Deep nesting stops at the bound instead of exhausting the stack.
        #expect(failure([UInt8](repeating: 0x91, count: 100_000) + [0xc0])?.kind == .tooDeep)
        #expect(failure([UInt8](repeating: 0x81, count: 10) + [0xc0], maxDepth: 4)?.kind == .tooDeep)
        #expect(failure([UInt8](repeating: 0x91, count: 3) + [0xc0], maxDepth: 4) == nil)
        #expect(failure([0xcd, 0x01])?.description.contains("ends inside a value") == true)
    }

    @Test func encoderOutputRoundTrips() throws {
        let value = MiniMessagePack.map([
            ("name", .string("numpy")), ("build_number", .int(300)), ("neg", .int(-5)), ("big", .int(1 << 40)),
            ("sha256", .binary([UInt8](repeating: 0xab, count: 32))), ("depends", .array([.string("python >=3.10")])),
            ("noarch", .null), ("flag", .bool(true)),
        ])
        let decoded = try decode(value.encoded)
        #expect(decoded["name"] == .string("numpy"))
        #expect(decoded["build_number"]?.intValue == 300)
        #expect(decoded["neg"]?.intValue == -5)
        #expect(decoded["big"]?.intValue == 1 << 40)
        #expect(decoded["sha256"]?.binaryValue?.count == 32)
        #expect(decoded["depends"]?.arrayValue == [.string("python >=3.10")])
        #expect(decoded["noarch"] == .null)
        #expect(decoded["flag"] == .bool(true))
    }

    /// Random buffers and mutations of valid encodings: each decodes or throws, none traps.
    @Test func fuzzedInputNeverTraps() {
        var random = TestRandom(seed: 0x5eed)
        let valid = MiniMessagePack.map([
            ("version", .int(1)),
            ("info", .map([("base_url", .string("./")), ("shards_base_url", .string("./shards/"))])),
            (
                "shards",
                .map([
                    ("numpy", .binary([UInt8](repeating: 1, count: 32))),
                    ("python", .binary([UInt8](repeating: 2, count: 32))),
                ])
            ),
            ("list", .array((0..<20).map { .int(Int64($0) * 1000 - 5000) })),
        ]).encoded
        #expect((try? decode(valid)) != nil)
        var decoded = 0
        var thrown = 0
        for round in 0..<6000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<random.below(64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            } else {
                bytes = valid
                for _ in 0..<(1 + random.below(4)) {
                    switch random.below(3) {
                    case 0: bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next())
                    case 1: bytes = Array(bytes.prefix(random.below(bytes.count)))
                    default: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: random.below(bytes.count + 1))
                    }
                    if bytes.isEmpty { break }
                }
            }
            do {
                _ = try MessagePackDecoder(maxDepth: 8).decode(bytes)
                decoded += 1
            } catch {
                thrown += 1
            }
        }
        #expect(decoded + thrown == 6000)
        #expect(thrown > 1000)
        #expect(decoded > 10)
    }
}

/// A deterministic generator (SplitMix64) for fuzz tests.
struct TestRandom {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int { bound <= 0 ? 0 : Int(next() % UInt64(bound)) }
}
