import Testing

@testable import SMSyncRuntime

@Suite("zstd through libzstd")
struct ZstdTests {
    @Test func roundTripsAndStreamsInChunks() throws {
        let text = Array(String(repeating: "numpy-2.1.3-py310h0_0.conda ", count: 20_000).utf8)
        let compressed = try Zstd.compress(text)
        #expect(compressed.count < text.count / 10)
        #expect(try Zstd.decompress(compressed, maxBytes: text.count) == text)
        var chunks = 0
        var total = 0
        try compressed.withUnsafeBytes { raw in
            try Zstd.decompress(raw, maxBytes: text.count) { chunk in
                chunks += 1
                total += chunk.count
                return true
            }
        }
        #expect(chunks > 1)
        #expect(total == text.count)
        // Two frames back to back are one stream.
        #expect(try Zstd.decompress(compressed + compressed, maxBytes: 2 * text.count) == text + text)
    }

    @Test func refusesABombAtTheCap() throws {
        let zeros = [UInt8](repeating: 0, count: 64 << 20)
        let bomb = try Zstd.compress(zeros, level: 19)
        #expect(bomb.count < 64 << 10)
        do {
            _ = try Zstd.decompress(bomb, maxBytes: 1 << 20)
            Issue.record("a 64 MB bomb was decompressed under a 1 MB cap")
        } catch {
            #expect(error.kind == .tooLarge)
            #expect(error.message.contains("1048576"))
        }
    }

    @Test func corruptAndTruncatedInputAreNamed() throws {
        let compressed = try Zstd.compress(Array(String(repeating: "abc", count: 1000).utf8))
        #expect(throws: ZstdError(.truncated, "zstd: the data is empty")) { try Zstd.decompress([], maxBytes: 10) }
        do {
            _ = try Zstd.decompress(Array("{\"not\": \"zstd\"}".utf8), maxBytes: 1000)
            Issue.record("plain JSON was accepted as zstd")
        } catch {
            #expect(error.kind == .corrupt)
            #expect(error.message.contains("not a valid zstd stream"))
        }
        do {
            _ = try Zstd.decompress(Array(compressed.prefix(compressed.count - 3)), maxBytes: 10_000)
            Issue.record("a cut stream was accepted")
        } catch {
            #expect(error.kind == .truncated || error.kind == .corrupt)
        }
        var random = UInt64(7)
        for _ in 0..<500 {
            var bytes = compressed
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes[Int(random >> 33) % bytes.count] ^= UInt8(truncatingIfNeeded: random >> 13) | 1
            _ = try? Zstd.decompress(bytes, maxBytes: 10_000)
        }
        #expect(throws: ZstdError.self) { try Zstd.decompress(compressed + [1, 2, 3], maxBytes: 10_000) }
    }
}
