/// Why repodata, a shard or an index page could not be read.
public struct AvailabilityDataError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// Finds the records of some package names in a `repodata.json` without building the document: the
/// `packages` and `packages.conda` objects are walked key by key, and only records whose file name starts with
/// a wanted name (`numpy-2.1.3-py310h…_0.conda`: name, version and build joined by `-`) are decoded; every other
/// record is skipped bracket by bracket. A decoded record counts only when its own `name` is wanted.
///
/// Works on raw bytes (a memory-mapped file); malformed input throws, never traps.
public struct RepodataScanner: Sendable {
    public let names: Set<String>
    /// Wanted names as bytes, by length.
    private let wanted: [[[UInt8]]]

    /// How many bytes pass between calls of `scan`'s `consumed`.
    public let consumedStep: Int

    public init(names: Set<String>, consumedStep: Int = 16 << 20) {
        self.names = names
        self.consumedStep = max(1, consumedStep)
        var byLength: [[[UInt8]]] = []
        for name in names {
            let bytes = Array(name.utf8)
            while byLength.count <= bytes.count { byLength.append([]) }
            byLength[bytes.count].append(bytes)
        }
        wanted = byLength
    }

    /// The records of the wanted names in `repodata`, by name. A record without `subdir` takes the file's
    /// `info.subdir`, else `fallbackSubdir`.
    ///
    /// `consumed` is called now and then with an offset below which the bytes are not read again, so that a
    /// caller scanning a memory-mapped file can drop the pages behind it and keep the resident size small.
    public func scan(
        _ repodata: UnsafeRawBufferPointer, fallbackSubdir: String = "", consumed: ((Int) -> Void)? = nil
    ) throws(AvailabilityDataError) -> [String: [CondaRecord]] {
        var found: [String: [CondaRecord]] = [:]
        var infoSubdir: String?
        do {
            var parser = ByteJSONParser(bytes: repodata)
            try parser.expect(0x7b, "`{` (repodata is a JSON object)")
            if parser.peek() == 0x7d { return [:] }
            while true {
                let key = try parser.string()
                try parser.expect(0x3a, "`:`")
                switch key {
                case "packages", "packages.conda":
                    try scanPackages(&parser, into: &found, consumed: consumed)
                case "info":
                    infoSubdir = try parser.value()["subdir"]?.stringValue
                default:
                    try parser.skipValue()
                }
                guard let next = parser.peek() else { throw parser.unexpected("`,` or `}`") }
                parser.offset += 1
                if next == 0x7d { break }
                guard next == 0x2c else {
                    parser.offset -= 1
                    throw parser.unexpected("`,` or `}`")
                }
            }
        } catch let error as ByteJSONError {
            throw AvailabilityDataError("repodata.json: \(error.description)")
        } catch let error as AvailabilityDataError {
            throw error
        } catch {
            throw AvailabilityDataError("repodata.json: \(error)")
        }
        let subdir = infoSubdir ?? fallbackSubdir
        if !subdir.isEmpty {
            for (name, records) in found where records.contains(where: { $0.subdir.isEmpty }) {
                found[name] = records.map { record in
                    var record = record
                    if record.subdir.isEmpty { record.subdir = subdir }
                    return record
                }
            }
        }
        return found
    }

    private func scanPackages(
        _ parser: inout ByteJSONParser, into found: inout [String: [CondaRecord]], consumed: ((Int) -> Void)?
    ) throws {
        try parser.expect(0x7b, "`{` (a map of file names to records)")
        var reported = parser.offset
        if parser.peek() == 0x7d {
            parser.offset += 1
            return
        }
        while true {
            guard parser.peek() == 0x22 else { throw parser.unexpected("a file name") }
            let keyStart = parser.offset + 1
            parser.offset = keyStart
            let (keyEnd, escaped) = try parser.stringEnd()
            parser.offset = keyEnd + 1
            try parser.expect(0x3a, "`:`")
            let decide: Bool
            if escaped {
                decide = true
            } else {
                decide = candidate(UnsafeRawBufferPointer(rebasing: parser.bytes[keyStart..<keyEnd]))
            }
            if decide {
                let recordOffset = parser.offset
                let value = try parser.value(depth: 1)
                var keyParser = ByteJSONParser(bytes: parser.bytes, offset: keyStart - 1)
                let fileName = try keyParser.string()
                if let name = value["name"]?.stringValue, names.contains(name) {
                    do {
                        found[name, default: []].append(try CondaRecord(repodata: value, fileName: fileName))
                    } catch {
                        throw AvailabilityDataError(
                            "repodata.json: the record `\(fileName)` (at byte \(recordOffset)): \(error.message)")
                    }
                }
            } else {
                try parser.skipValue()
            }
            guard let next = parser.peek() else { throw parser.unexpected("`,` or `}`") }
            parser.offset += 1
            if next == 0x7d { return }
            guard next == 0x2c else {
                parser.offset -= 1
                throw parser.unexpected("`,` or `}`")
            }
            if let consumed, parser.offset - reported >= consumedStep {
                reported = parser.offset
                consumed(reported)
            }
        }
    }

    /// Whether a record's file name may belong to a wanted name: the part before the last two `-` is one of the
    /// names. A key without two `-` is always decoded (its record's `name` decides).
    @inline(__always)
    private func candidate(_ key: UnsafeRawBufferPointer) -> Bool {
        var dashes = 0
        var index = key.count - 1
        while index >= 0 {
            if key[index] == 0x2d {
                dashes += 1
                if dashes == 2 { break }
            }
            index -= 1
        }
        guard dashes == 2 else { return true }
        let length = index
        guard length < wanted.count else { return false }
        for name in wanted[length] {
            var same = true
            for position in 0..<length where key[position] != name[position] {
                same = false
                break
            }
            if same { return true }
        }
        return false
    }
}

/// What a package record needs of a decoded document, JSON (`repodata.json`) or MessagePack (a CEP-16 shard).
protocol RecordFieldValue: Equatable {
    subscript(key: String) -> Self? { get }
    var stringValue: String? { get }
    var intValue: Int? { get }
    var arrayValue: [Self]? { get }
    var isNull: Bool { get }
    var isTrue: Bool { get }
}

extension ByteJSONValue: RecordFieldValue {
    var isNull: Bool { self == .null }
    var isTrue: Bool { self == .bool(true) }
}

extension MessagePackValue: RecordFieldValue {
    var isNull: Bool { self == .null }
    var isTrue: Bool { self == .bool(true) }
}

extension CondaRecord {
    /// A record of `repodata.json` (a JSON object) listed under `fileName`.
    public init(repodata value: ByteJSONValue, fileName: String) throws(AvailabilityDataError) {
        guard case .object = value else { throw AvailabilityDataError("not an object") }
        try self.init(fields: value, fileName: fileName)
    }

    /// A record of a CEP-16 shard (a MessagePack map) listed under `fileName`.
    public init(shard value: MessagePackValue, fileName: String) throws(AvailabilityDataError) {
        guard case .map = value else { throw AvailabilityDataError("not a map") }
        try self.init(fields: value, fileName: fileName)
    }

    /// The fields both forms share: `name`, `version`, `build` (required), `build_number`, `depends`, `subdir`,
    /// `noarch` (a kind, or `true` for the old generic form).
    init<Value: RecordFieldValue>(fields value: Value, fileName: String) throws(AvailabilityDataError) {
        func text(_ key: String) throws(AvailabilityDataError) -> String {
            guard let text = value[key]?.stringValue else { throw AvailabilityDataError("no string `\(key)`") }
            return text
        }
        var depends: [String] = []
        if let list = value["depends"], !list.isNull {
            guard let items = list.arrayValue else { throw AvailabilityDataError("`depends` is not a list") }
            for item in items {
                guard let spec = item.stringValue else { throw AvailabilityDataError("`depends` holds a non-string") }
                depends.append(spec)
            }
        }
        let noarch: String?
        if let kind = value["noarch"]?.stringValue {
            noarch = kind
        } else if value["noarch"]?.isTrue == true {
            noarch = "generic"
        } else {
            noarch = nil
        }
        self.init(
            name: try text("name"), version: try text("version"), build: try text("build"),
            buildNumber: value["build_number"]?.intValue ?? 0, depends: depends,
            subdir: value["subdir"]?.stringValue ?? "", noarch: noarch, fileName: fileName)
    }
}
