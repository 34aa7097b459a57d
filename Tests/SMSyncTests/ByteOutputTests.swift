import Testing

@testable import SMSync

/// The output buffer against plain concatenation: every kind of append, sizes around the buffer's capacity,
/// draining and growing.
@Suite("Byte output")
struct ByteOutputTests {
    /// Appends a seeded mix to `output` and returns what was appended, and each append (in order) of more than
    /// `oversize` bytes.
    static func appendMix(
        _ output: inout ByteOutput, seed: UInt64, steps: Int, oversize: Int = .max
    ) -> (bytes: [UInt8], oversized: [[UInt8]]) {
        var random = SeededRandom(seed: seed)
        var expected: [UInt8] = []
        var oversized: [[UInt8]] = []
        for step in 0..<steps {
            let before = expected.count
            var whole = true
            defer {
                if whole, expected.count - before > oversize { oversized.append(Array(expected[before...])) }
            }
            switch random.below(6) {
            case 0:
                let byte = UInt8(random.below(256))
                output.append(byte)
                expected.append(byte)
            case 1:
                let bytes = (0..<random.below(300)).map { UInt8(($0 + step) % 251) }
                output.append(bytes)
                expected += bytes
            case 2:
                let text = String(repeating: "é\u{2028}x", count: random.below(40))
                output.append(text)
                expected += Array(text.utf8)
            case 3:
                output.append("static text" as StaticString)
                expected += Array("static text".utf8)
            case 4:
                let value = random.below(2_000_000) - 1_000_000
                output.append(value)
                expected += Array(String(value).utf8)
            default:
                // Written 64 at a time, so never one append larger than the buffer.
                whole = false
                let spaces = random.below(150)
                output.append(spaces: spaces)
                expected += [UInt8](repeating: UInt8(ascii: " "), count: spaces)
            }
        }
        return (expected, oversized)
    }

    @Test(arguments: [64, 65, 100, 1000, 1 << 16])
    func drainedChunksAreTheBytesInOrderAndNeverLargerThanTheBufferUnlessOneAppendIs(capacity: Int) {
        var chunks: [[UInt8]] = []
        var output = ByteOutput(capacity: capacity) { chunks.append(Array($0)) }
        let mix = Self.appendMix(&output, seed: UInt64(capacity), steps: 3000, oversize: capacity)
        var expected = mix.bytes
        let large = [UInt8](repeating: 7, count: capacity * 3 + 5)
        output.append(large)
        expected += large
        output.append(UInt8(9))
        expected.append(9)
        output.flush()
        output.flush()
        let joined = chunks.flatMap { $0 }
        #expect(joined.count == expected.count)
        #expect(joined == expected)
        #expect(!chunks.contains { $0.isEmpty })
        // Only appends larger than the buffer go through as chunks larger than the buffer, each whole.
        let oversized = chunks.filter { $0.count > capacity }
        #expect(oversized.count == mix.oversized.count + 1)
        #expect(oversized == mix.oversized + [large])
    }

    @Test func aGrowingOutputKeepsEverythingAndStartsOverEmpty() {
        var output = ByteOutput(growingFrom: 64)
        let expected = Self.appendMix(&output, seed: 5, steps: 2000).bytes
        #expect(output.withWrittenBytes { Array($0) } == expected)
        output.removeAll()
        #expect(output.withWrittenBytes { $0.count } == 0)
        let again = Self.appendMix(&output, seed: 6, steps: 500).bytes
        #expect(output.withWrittenBytes { Array($0) } == again)
        // Never drains: flush keeps the bytes.
        output.flush()
        #expect(output.withWrittenBytes { Array($0) } == again)
    }

    @Test func collectGivesTheBytesOfEveryAppend() {
        var expected: [UInt8] = []
        let bytes = ByteOutput.collect { output in expected = Self.appendMix(&output, seed: 9, steps: 4000).bytes }
        #expect(bytes == expected)
    }
}
