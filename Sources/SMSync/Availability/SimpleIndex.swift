/// PEP 503 project names and PEP 691 JSON project pages.
public enum SimpleIndex {
    /// The PEP 503 normalised form of a project name (lower case, each run of `-`, `_` and `.` as one `-`), or nil
    /// when `name` is not a valid project name (PEP 508: ASCII letters and digits, with `-`, `_` and `.` inside).
    public static func normalize(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= 200 else { return nil }
        func isAlphanumeric(_ byte: UInt8) -> Bool {
            (0x30...0x39).contains(byte) || (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte)
        }
        func isSeparator(_ byte: UInt8) -> Bool { byte == 0x2d || byte == 0x5f || byte == 0x2e }
        guard let first = bytes.first, let last = bytes.last, isAlphanumeric(first), isAlphanumeric(last) else {
            return nil
        }
        var out: [UInt8] = []
        var inRun = false
        for byte in bytes {
            if isSeparator(byte) {
                if !inRun { out.append(0x2d) }
                inRun = true
            } else if isAlphanumeric(byte) {
                out.append((0x41...0x5a).contains(byte) ? byte + 0x20 : byte)
                inRun = false
            } else {
                return nil
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The files of a PEP 691 JSON project page (`application/vnd.pypi.simple.v1+json`).
    public static func files(json bytes: [UInt8]) throws(AvailabilityDataError) -> [IndexFile] {
        let document: ByteJSONValue
        do {
            document = try ByteJSONParser.parse(bytes)
        } catch {
            throw AvailabilityDataError("PEP 691 page: \(error.description)")
        }
        guard case .object = document else { throw AvailabilityDataError("PEP 691 page: not a JSON object") }
        guard let list = document["files"]?.arrayValue else {
            throw AvailabilityDataError("PEP 691 page: no `files` list")
        }
        var files: [IndexFile] = []
        files.reserveCapacity(list.count)
        for (position, entry) in list.enumerated() {
            guard case .object = entry, let filename = entry["filename"]?.stringValue else {
                throw AvailabilityDataError("PEP 691 page: file \(position + 1) has no `filename`")
            }
            var file = IndexFile(filename: filename, requiresPython: entry["requires-python"]?.stringValue)
            switch entry["yanked"] {
            case .bool(let yanked)?:
                file.yanked = yanked
            case .string(let reason)?:
                file.yanked = true
                file.yankedReason = reason.isEmpty ? nil : reason
            case nil, .null?:
                break
            default:
                throw AvailabilityDataError("PEP 691 page: `yanked` of `\(filename)` is neither a bool nor a string")
            }
            if case .object(let members)? = entry["hashes"] {
                for member in members {
                    if let digest = member.value.stringValue { file.hashes[member.key] = digest }
                }
            }
            files.append(file)
        }
        return files
    }
}
