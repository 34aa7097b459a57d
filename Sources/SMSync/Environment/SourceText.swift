/// The bytes of a YAML document with the line index libyaml uses, so that a node's `Mark`
/// (1-based line, 1-based column counted in Unicode scalars) can be turned into a byte offset.
struct SourceText: Sendable {
    let bytes: [UInt8]
    /// Byte offset at which each line starts; `lineStarts[0]` is line 1.
    let lineStarts: [Int]

    /// Bytes whose line starts are already known (as `init(_:)` would find them).
    init(bytes: [UInt8], lineStarts: [Int]) {
        self.bytes = bytes
        self.lineStarts = lineStarts
    }

    init(_ text: String) {
        let bytes = Array(text.utf8)
        self.bytes = bytes
        var starts = [0]
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0D {
                index += (index + 1 < bytes.count && bytes[index + 1] == 0x0A) ? 2 : 1
                starts.append(index)
                continue
            }
            if byte == 0x0A {
                index += 1
                starts.append(index)
                continue
            }
            // NEL (U+0085), LS (U+2028) and PS (U+2029) are line breaks for libyaml too.
            if byte == 0xC2, index + 1 < bytes.count, bytes[index + 1] == 0x85 {
                index += 2
                starts.append(index)
                continue
            }
            if byte == 0xE2, index + 2 < bytes.count, bytes[index + 1] == 0x80,
                bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9
            {
                index += 3
                starts.append(index)
                continue
            }
            index += 1
        }
        self.lineStarts = starts
    }

    /// The byte offset of a libyaml mark, or nil when it lies outside the text.
    func offset(line: Int, column: Int) -> Int? {
        guard line >= 1, line <= lineStarts.count, column >= 1 else { return nil }
        var offset = lineStarts[line - 1]
        if line == 1, bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            offset = 3  // libyaml does not count the byte-order mark as a column
        }
        var remaining = column - 1
        while remaining > 0 {
            guard offset < bytes.count else { return nil }
            offset += Self.scalarWidth(bytes[offset])
            remaining -= 1
        }
        return offset
    }

    /// The 1-based line holding a byte offset.
    func line(ofOffset offset: Int) -> Int {
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return low + 1
    }

    /// The bytes of a line without its line break.
    func lineBytes(_ line: Int) -> ArraySlice<UInt8> {
        guard line >= 1, line <= lineStarts.count else { return [] }
        let start = lineStarts[line - 1]
        var end = line < lineStarts.count ? lineStarts[line] : bytes.count
        while end > start, bytes[end - 1] == 0x0A || bytes[end - 1] == 0x0D { end -= 1 }
        return bytes[start..<end]
    }

    static func scalarWidth(_ lead: UInt8) -> Int {
        switch lead {
        case 0..<0x80: 1
        case 0xC0..<0xE0: 2
        case 0xE0..<0xF0: 3
        case 0xF0...0xFF: 4
        default: 1
        }
    }
}
