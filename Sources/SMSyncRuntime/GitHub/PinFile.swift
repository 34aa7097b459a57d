import Foundation

/// A pin file that cannot be read, understood or rewritten.
public struct PinFileError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

/// A file holding one commit id, edited losslessly: only the commit text changes.
///
/// Understood forms: the bare id (`2d519b52…` with any surrounding whitespace and newline), or one assignment
/// line, `KEY=sha`, `export KEY="sha"` or `commit: sha`. Blank lines and `#` comment lines around it are kept.
/// An empty file (or one of only comments) has no commit yet; the first write appends `sha` and a newline.
public struct PinFile: Sendable, Hashable {
    /// How the commit is written.
    public enum Format: Sendable, Hashable {
        /// The id alone.
        case bare
        /// `KEY=sha` or `KEY: sha`; `key` as written (without `export`).
        case assignment(key: String)
        /// No commit yet.
        case empty
    }

    /// The file, for messages.
    public var path: String
    /// The file's text as read.
    public var text: String
    /// The commit id in it; nil for ``Format/empty``.
    public var commit: String?
    public var format: Format
    /// Where the commit id sits, as UTF-8 offsets into `text`.
    let valueRange: Range<Int>?

    /// The largest pin file read.
    public static let maxBytes = 64 << 10

    /// Parses `text`; `path` names the file in errors.
    public init(text: String, path: String) throws(PinFileError) {
        self.path = path
        self.text = text
        let bytes = Array(text.utf8)
        var contentLines: [Range<Int>] = []
        var start = 0
        while start <= bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            let trimmed = Self.trim(bytes, start..<(end > start && bytes[end - 1] == 0x0D ? end - 1 : end))
            if !trimmed.isEmpty, bytes[trimmed.lowerBound] != 0x23 { contentLines.append(trimmed) }
            if end == bytes.count { break }
            start = end + 1
        }
        guard contentLines.count <= 1 else {
            throw PinFileError(
                path: path,
                message: "expected one line with the commit id, found \(contentLines.count) lines of content")
        }
        guard let line = contentLines.first else {
            self.commit = nil
            self.format = .empty
            self.valueRange = nil
            return
        }
        if Self.isCommit(bytes[line]) {
            self.commit = String(decoding: bytes[line], as: UTF8.self)
            self.format = .bare
            self.valueRange = line
            return
        }
        guard let separator = bytes[line].firstIndex(where: { $0 == 0x3D || $0 == 0x3A }) else {
            throw PinFileError(path: path, message: "the line is neither a commit id nor `KEY=commit`")
        }
        var key = String(decoding: bytes[Self.trim(bytes, line.lowerBound..<separator)], as: UTF8.self)
        if key.hasPrefix("export ") { key = String(key.dropFirst(7)).trimmingSpaces() }
        var value = Self.trim(bytes, (separator + 1)..<line.upperBound)
        if value.count >= 2, let first = value.first.map({ bytes[$0] }), first == 0x22 || first == 0x27,
            bytes[value.upperBound - 1] == first
        {
            value = (value.lowerBound + 1)..<(value.upperBound - 1)
        }
        guard !key.isEmpty, key.utf8.allSatisfy(Self.isKeyByte) else {
            throw PinFileError(path: path, message: "\(key.debugDescription) is not a key name")
        }
        guard Self.isCommit(bytes[value]) else {
            throw PinFileError(
                path: path,
                message: "the value of \(key) is not a commit id (7 to 64 hexadecimal digits)")
        }
        self.commit = String(decoding: bytes[value], as: UTF8.self)
        self.format = .assignment(key: key)
        self.valueRange = value
    }

    /// Reads and parses the file at `path`.
    public static func read(path: String) throws(PinFileError) -> PinFile {
        let bytes: [UInt8]
        do {
            bytes = try AtomicFile.read(path, limit: maxBytes)
        } catch {
            throw PinFileError(path: path, message: error.reason)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw PinFileError(path: path, message: "not UTF-8 text")
        }
        return try PinFile(text: text, path: path)
    }

    /// The text with the commit replaced by `commit` (7 to 64 hexadecimal digits); everything else is kept.
    public func replacing(commit newCommit: String) throws(PinFileError) -> String {
        guard Self.isCommit(newCommit.utf8[...]) else {
            throw PinFileError(
                path: path,
                message: "\(String(newCommit.prefix(80)).debugDescription) is not a commit id (7 to 64 hex digits)")
        }
        let bytes = Array(text.utf8)
        guard let valueRange else {
            let separator = bytes.isEmpty || bytes.last == 0x0A ? "" : "\n"
            return text + separator + newCommit + "\n"
        }
        return String(decoding: bytes[..<valueRange.lowerBound], as: UTF8.self) + newCommit
            + String(decoding: bytes[valueRange.upperBound...], as: UTF8.self)
    }

    /// Rewrites the pin file at `path` to hold `commit`, atomically; creates it (`commit` and a newline) when
    /// missing. Returns false when it already held that commit and nothing was written.
    @discardableResult
    public static func write(commit: String, to path: String) throws(PinFileError) -> Bool {
        let pin: PinFile
        if AtomicFileExists.check(path) {
            pin = try read(path: path)
        } else {
            pin = try PinFile(text: "", path: path)
        }
        if pin.commit == commit { return false }
        let updated = try pin.replacing(commit: commit)
        do {
            try AtomicFile.write(Array(updated.utf8), to: path)
        } catch {
            throw PinFileError(path: path, message: error.reason)
        }
        return true
    }

    private static func trim(_ bytes: [UInt8], _ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper, bytes[lower] == 0x20 || bytes[lower] == 0x09 || bytes[lower] == 0x0D { lower += 1 }
        while upper > lower, bytes[upper - 1] == 0x20 || bytes[upper - 1] == 0x09 || bytes[upper - 1] == 0x0D {
            upper -= 1
        }
        return lower..<upper
    }

    private static func isCommit<C: Collection<UInt8>>(_ bytes: C) -> Bool {
        (7...64).contains(bytes.count)
            && bytes.allSatisfy {
                (0x30...0x39).contains($0) || (0x61...0x66).contains($0) || (0x41...0x46).contains($0)
            }
    }

    private static func isKeyByte(_ byte: UInt8) -> Bool {
        (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x5F
            || byte == 0x2D || byte == 0x2E
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" })
    }
}

private enum AtomicFileExists {
    static func check(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }
}
