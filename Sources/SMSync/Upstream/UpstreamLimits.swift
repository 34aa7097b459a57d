/// Size and count caps applied before any input is parsed.
public struct UpstreamLimits: Sendable, Hashable {
    /// The default cap on one input file: 8 MiB (the live docs pages are about 100 KiB).
    public static let defaultMaxBytesPerFile = 8 * 1024 * 1024
    /// The default cap on the bytes read from one examples tree: 1 GiB.
    public static let defaultMaxTreeBytes = 1024 * 1024 * 1024
    /// The default cap on directory entries visited in one examples tree.
    public static let defaultMaxTreeEntries = 200_000

    /// No single input file may be larger than this.
    public var maxBytesPerFile: Int
    /// The files read from one examples tree together may not be larger than this.
    public var maxTreeBytes: Int
    /// An examples tree may not hold more directory entries than this.
    public var maxTreeEntries: Int

    public init(
        maxBytesPerFile: Int = UpstreamLimits.defaultMaxBytesPerFile,
        maxTreeBytes: Int = UpstreamLimits.defaultMaxTreeBytes,
        maxTreeEntries: Int = UpstreamLimits.defaultMaxTreeEntries
    ) {
        self.maxBytesPerFile = maxBytesPerFile
        self.maxTreeBytes = maxTreeBytes
        self.maxTreeEntries = maxTreeEntries
    }
}

/// Turns the bytes of an upstream file into text, refusing what is not text.
public enum UpstreamText {
    /// Decodes UTF-8 text after checking the size cap; refuses NUL bytes and invalid UTF-8 with the line
    /// where they occur. A leading byte-order mark is dropped.
    public static func decode(
        _ bytes: some Collection<UInt8>, source: UpstreamSourceKind, location: String, maxBytes: Int
    ) throws(UpstreamError) -> String {
        guard bytes.count <= maxBytes else {
            throw UpstreamError(
                .tooLarge, source: source, location: location,
                message:
                    "input is \(bytes.count) bytes, above the limit of \(maxBytes) bytes (raise it with --max-bytes)")
        }
        var line = 1
        var offset = 0
        for byte in bytes {
            if byte == 0 {
                throw UpstreamError(
                    .binary, source: source, location: location, line: line,
                    message: "binary data: NUL byte at byte offset \(offset); expected UTF-8 text")
            }
            if byte == UInt8(ascii: "\n") { line += 1 }
            offset += 1
        }
        var array = Array(bytes)
        if array.starts(with: [0xEF, 0xBB, 0xBF]) { array.removeFirst(3) }
        guard let text = String(validating: array, as: UTF8.self) else {
            let (badLine, badOffset) = firstInvalidUTF8(array)
            throw UpstreamError(
                .binary, source: source, location: location, line: badLine,
                message: "not valid UTF-8 (first bad byte at byte offset \(badOffset)); expected UTF-8 text")
        }
        return text
    }

    /// The 1-based line and byte offset of the first byte that breaks UTF-8.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> (line: Int, offset: Int) {
        var line = 1
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            let length: Int
            switch byte {
            case 0x00...0x7F: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: return (line, index)
            }
            guard index + length <= bytes.count else { return (line, index) }
            if length > 1 {
                let scalarBytes = Array(bytes[index..<(index + length)])
                guard String(validating: scalarBytes, as: UTF8.self) != nil else { return (line, index) }
            }
            if byte == UInt8(ascii: "\n") { line += 1 }
            index += length
        }
        return (line, index)
    }
}
