import Crypto
import Foundation
import SMSync

#if canImport(Glibc)
import Glibc
#endif

/// Why availability data could not be fetched or read. Messages name the URL with credentials removed.
public struct AvailabilityFetchError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// The on-disk cache of the availability lookup, under one directory:
///
/// - `availability/<sha256 of the URL>.body`: the last body of a URL (repodata decompressed, a shard index and a
///   PEP 691 page as served), with `<sha256 of the URL>.meta.json` beside it (the URL with credentials removed,
///   `ETag`, `Last-Modified`, `Content-Type`, when it was fetched);
/// - `availability/<sha256 of channel and subdir>.layout.json`: which of the shard index, `repodata.json.zst` and
///   `repodata.json` the subdir serves, so a rerun asks only that one;
/// - `availability/shards/<sha256>.msgpack.zst`: CEP-16 shards as downloaded, named by their verified hash and
///   kept (they never change).
///
/// File names are hashes or hex digests computed here, never text from a server. Every file is replaced
/// atomically (a temporary file and a rename).
struct AvailabilityCache: Sendable {
    let root: String

    init(directory: String) {
        root = (directory.hasSuffix("/") ? String(directory.dropLast()) : directory) + "/availability"
    }

    struct Meta: Codable, Sendable {
        var url: String
        var etag: String?
        var lastModified: String?
        var contentType: String?
        var fetched: Double

        var validators: HTTPValidators? {
            let validators = HTTPValidators(etag: etag, lastModified: lastModified)
            return validators.isEmpty ? nil : validators
        }
    }

    /// Which file a conda subdir serves.
    struct Layout: Codable, Sendable {
        enum Kind: String, Codable, Sendable {
            case sharded
            case zst
            case json
            case missing
        }

        var kind: Kind
        /// When the shard index was last found missing (seconds since 1970); it is asked again after a day.
        var checked: Double
    }

    static func key(_ text: String) -> String {
        ShardIndex.hex(Array(SHA256.hash(data: Array(text.utf8))))
    }

    func bodyPath(_ url: String) -> String { "\(root)/\(Self.key(url)).body" }
    func metaPath(_ url: String) -> String { "\(root)/\(Self.key(url)).meta.json" }
    func layoutPath(_ subdirURL: String) -> String { "\(root)/\(Self.key(subdirURL)).layout.json" }

    /// The path of a shard; `hex` must be 64 lower-case hex digits (checked).
    func shardPath(_ hex: String) -> String? {
        guard hex.utf8.count == 64, hex.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else { return nil }
        return "\(root)/shards/\(hex).msgpack.zst"
    }

    func prepare() throws(AvailabilityFetchError) {
        do {
            try FileManager.default.createDirectory(atPath: root + "/shards", withIntermediateDirectories: true)
        } catch {
            throw AvailabilityFetchError("cannot create the cache folder \(root): \(error.localizedDescription)")
        }
    }

    func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    func read<T: Decodable>(_ type: T.Type, _ path: String) -> T? {
        guard let bytes = try? AtomicFile.read(path, limit: 1 << 20) else { return nil }
        return try? JSONDecoder().decode(type, from: Data(bytes))
    }

    func write<T: Encodable>(_ value: T, _ path: String) throws(AvailabilityFetchError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(value) else { throw AvailabilityFetchError("cannot encode \(path)") }
        try writeBytes(Array(data), path)
    }

    func writeBytes(_ bytes: [UInt8], _ path: String) throws(AvailabilityFetchError) {
        do {
            try AtomicFile.write(bytes, to: path)
        } catch {
            throw AvailabilityFetchError("cannot write the cache file \(path): \(error)")
        }
    }

    func readBytes(_ path: String, limit: Int) throws(AvailabilityFetchError) -> [UInt8] {
        do {
            return try AtomicFile.read(path, limit: limit)
        } catch {
            throw AvailabilityFetchError("cannot read the cache file \(path): \(error)")
        }
    }
}

/// A file written in pieces to a temporary path, then renamed over its destination.
final class StreamedFile {
    let path: String
    let temp: String
    private var fd: Int32
    private(set) var failed = false

    init(replacing path: String) throws(AvailabilityFetchError) {
        self.path = path
        var template = Array((path + ".smsync-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.map { mkstemp($0) } ?? -1 }
        guard fd >= 0 else {
            throw AvailabilityFetchError("cannot create a temporary file beside \(path) (errno \(errno))")
        }
        self.fd = fd
        fchmod(fd, 0o644)
        temp = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Appends `bytes`; false when the write failed.
    func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !failed, let base = bytes.baseAddress else { return !failed }
        var written = 0
        while written < bytes.count {
            let count = Glibc.write(fd, base + written, bytes.count - written)
            if count < 0 {
                if errno == EINTR { continue }
                failed = true
                return false
            }
            written += count
        }
        return true
    }

    func commit() throws(AvailabilityFetchError) {
        let closed = close(fd) == 0
        fd = -1
        guard closed, !failed, rename(temp, path) == 0 else {
            unlink(temp)
            throw AvailabilityFetchError("cannot write the cache file \(path) (errno \(errno))")
        }
    }

    func discard() {
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        unlink(temp)
    }

    deinit {
        if fd >= 0 {
            close(fd)
            unlink(temp)
        }
    }
}

/// A read-only memory mapping of a whole file, unmapped when released.
final class MappedFile: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
    private let address: UnsafeMutableRawPointer?
    private let length: Int

    init(path: String) throws(AvailabilityFetchError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw AvailabilityFetchError("cannot open \(path) (errno \(errno))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw AvailabilityFetchError("\(path) is not a regular file")
        }
        length = Int(info.st_size)
        guard length > 0 else {
            address = nil
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let mapped = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw AvailabilityFetchError("cannot map \(path) (errno \(errno))")
        }
        madvise(mapped, length, MADV_SEQUENTIAL)
        address = mapped
        bytes = UnsafeRawBufferPointer(start: mapped, count: length)
    }

    /// Drops the pages below `offset` from memory (they are read from the file again if touched).
    func release(below offset: Int) {
        guard let address else { return }
        let aligned = min(offset, length) & ~4095
        if aligned > 0 { madvise(address, aligned, MADV_DONTNEED) }
    }

    deinit {
        if let address { munmap(address, length) }
    }
}
