/// The encodings conda reads an environment file in, told apart by the byte-order mark: UTF-8 with or without a
/// BOM, and UTF-16 with a BOM (what PowerShell's `conda env export > file` writes). An edit writes the file back in
/// the encoding it was read in, BOM included.
public enum TextEncoding: String, Sendable, Hashable {
    case utf8 = "utf-8"
    case utf8BOM = "utf-8-bom"
    case utf16LE = "utf-16le"
    case utf16BE = "utf-16be"

    /// The file's bytes for `text` (which holds no BOM): the BOM, then the text in this encoding.
    public func encode(_ text: String) -> [UInt8] {
        switch self {
        case .utf8: return Array(text.utf8)
        case .utf8BOM: return [0xEF, 0xBB, 0xBF] + Array(text.utf8)
        case .utf16LE, .utf16BE:
            var bytes: [UInt8] = self == .utf16LE ? [0xFF, 0xFE] : [0xFE, 0xFF]
            bytes.reserveCapacity(2 + text.utf16.count * 2)
            for unit in text.utf16 {
                let high = UInt8(unit >> 8)
                let low = UInt8(unit & 0xFF)
                bytes += self == .utf16LE ? [low, high] : [high, low]
            }
            return bytes
        }
    }

    /// Decodes a file's bytes: the text without its BOM and the encoding to write it back in. Refuses binary data
    /// (a NUL character), invalid UTF-8 or UTF-16, and UTF-16 without a BOM; errors name the file and line.
    public static func decode(_ bytes: [UInt8], path: String) throws(EnvironmentFileError) -> (String, TextEncoding) {
        let encoding: TextEncoding
        let body: ArraySlice<UInt8>
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            (encoding, body) = (.utf8BOM, bytes.dropFirst(3))
        } else if bytes.starts(with: [0xFF, 0xFE]) {
            (encoding, body) = (.utf16LE, bytes.dropFirst(2))
        } else if bytes.starts(with: [0xFE, 0xFF]) {
            (encoding, body) = (.utf16BE, bytes.dropFirst(2))
        } else {
            (encoding, body) = (.utf8, bytes[...])
        }
        let text: String
        switch encoding {
        case .utf8, .utf8BOM:
            if let nul = body.firstIndex(of: 0) {
                throw notText(
                    "the file holds binary data (a NUL byte)", line: lineNumber(body[..<nul]), path: path,
                    hint: body.count > 1 && (body[body.startIndex] == 0 || body[body.startIndex + 1] == 0)
                        ? "; UTF-16 is read only with a byte-order mark" : "")
            }
            guard let decoded = String(validating: body, as: UTF8.self) else {
                throw EnvironmentFileError(.notText, path: path, line: nil, "the file is not UTF-8 text")
            }
            text = decoded
        case .utf16LE, .utf16BE:
            guard body.count % 2 == 0 else {
                throw EnvironmentFileError(
                    .notText, path: path, line: nil,
                    "the file starts with a UTF-16 byte-order mark but has an odd number of bytes")
            }
            var units: [UInt16] = []
            units.reserveCapacity(body.count / 2)
            var index = body.startIndex
            while index < body.endIndex {
                let first = UInt16(body[index])
                let second = UInt16(body[index + 1])
                units.append(encoding == .utf16LE ? first | second << 8 : first << 8 | second)
                index += 2
            }
            guard let decoded = String(validating: units, as: UTF16.self) else {
                throw EnvironmentFileError(.notText, path: path, line: nil, "the file is not valid UTF-16 text")
            }
            if let nul = units.firstIndex(of: 0) {
                let line = units[..<nul].reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
                throw notText("the file holds binary data (a NUL character)", line: line, path: path, hint: "")
            }
            text = decoded
        }
        return (text, encoding)
    }

    private static func lineNumber(_ bytes: ArraySlice<UInt8>) -> Int {
        bytes.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
    }

    private static func notText(_ message: String, line: Int, path: String, hint: String) -> EnvironmentFileError {
        EnvironmentFileError(.notText, path: path, line: line, message + hint)
    }
}
