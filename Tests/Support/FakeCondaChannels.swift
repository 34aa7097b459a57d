import Crypto
import Foundation

/// A zstd frame made of raw (stored) blocks: valid input for any zstd decoder, built without a compressor.
enum RawZstd {
    static func frame(_ content: [UInt8]) -> [UInt8] {
        // Magic number, then a frame header: single segment, 4-byte content size, no checksum, no dictionary.
        var out: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0xA0]
        let size = UInt32(content.count)
        out += (0..<4).map { UInt8(truncatingIfNeeded: size >> (8 * UInt32($0))) }
        let blockMax = 128 << 10
        var start = 0
        repeat {
            let end = min(start + blockMax, content.count)
            let last: UInt32 = end == content.count ? 1 : 0
            // Block header: last-block bit, block type 0 (raw), size in the upper 21 bits.
            let header = last | (UInt32(end - start) << 3)
            out += (0..<3).map { UInt8(truncatingIfNeeded: header >> (8 * UInt32($0))) }
            out += content[start..<end]
            start = end
        } while start < content.count
        return out
    }
}

/// One conda package record a fake channel serves.
struct FakeCondaRecord: Sendable, Hashable {
    var name: String
    var version: String
    var build: String
    var buildNumber = 0
    var depends: [String] = []
    var subdir = "linux-64"

    var fileName: String { "\(name)-\(version)-\(build).conda" }

    /// A CPython 3.X build: `python >=3.X,<3.(X+1).0a0` and `python_abi 3.X.* *_cp3X`.
    static func cpython(
        _ name: String, _ version: String, python minor: Int, buildNumber: Int = 0
    )
        -> FakeCondaRecord
    {
        FakeCondaRecord(
            name: name, version: version, build: "py3\(minor)h0abc123_\(buildNumber)", buildNumber: buildNumber,
            depends: ["python >=3.\(minor),<3.\(minor + 1).0a0", "python_abi 3.\(minor).* *_cp3\(minor)"])
    }

    var json: [String: Any] {
        [
            "build": build, "build_number": buildNumber, "depends": depends, "name": name, "subdir": subdir,
            "version": version,
        ]
    }

    var messagePack: MiniMessagePack {
        .map([
            ("build", .string(build)), ("build_number", .int(Int64(buildNumber))),
            ("depends", .array(depends.map { .string($0) })), ("name", .string(name)),
            ("sha256", .binary([UInt8](repeating: 7, count: 32))), ("size", .int(1000)),
            ("subdir", .string(subdir)), ("version", .string(version)),
        ])
    }
}

/// One file of a fake PEP 691 project page.
struct FakeIndexFile: Sendable, Hashable {
    var filename: String
    var requiresPython: String?
    /// nil: not yanked; "": yanked without a reason.
    var yanked: String?

    var json: [String: Any] {
        var object: [String: Any] = ["filename": filename, "hashes": ["sha256": String(repeating: "ab", count: 32)]]
        object["url"] = "https://files.example/\(filename)"
        if let requiresPython { object["requires-python"] = requiresPython }
        if let yanked {
            object["yanked"] = yanked.isEmpty ? true as Any : yanked as Any
        } else {
            object["yanked"] = false
        }
        return object
    }
}

/// Conda channels and a PEP 691 index as a loopback server serves them, in the real response shapes:
///
/// - `/<channel>/<subdir>/repodata_shards.msgpack.zst` (CEP 16: `info`, `shards` name → SHA-256) and
///   `/<channel>/<subdir>/shards/<sha256>.msgpack.zst` for a sharded channel; `repodata.json.zst` and
///   `repodata.json` for every channel, or `repodata.json` only for a plain-JSON one;
/// - `/simple/<project>/` as `application/vnd.pypi.simple.v1+json` (`Accept` must ask for it);
/// - an `ETag` on everything but shards, and `304` to a matching `If-None-Match`;
/// - a channel with a token answers `401` to any request without `Authorization: Bearer <token>`.
actor FakeCondaChannels {
    enum Layout: Sendable {
        case sharded
        case zst
        case json
    }

    struct Channel: Sendable {
        var layout: Layout
        var records: [FakeCondaRecord]
        var token: String?
    }

    private(set) var channels: [String: Channel] = [:]
    private(set) var projects: [String: [FakeIndexFile]] = [:]

    func setChannel(_ name: String, layout: Layout, records: [FakeCondaRecord], token: String? = nil) {
        channels[name] = Channel(layout: layout, records: records, token: token)
    }

    func addRecords(_ name: String, _ records: [FakeCondaRecord]) {
        channels[name]?.records += records
    }

    func setProject(_ name: String, files: [FakeIndexFile]) { projects[name] = files }

    /// The reply for `request`, or nil when the path is not a channel's or the index's.
    func respond(_ request: RecordedRequest) -> TestReply? {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if parts.first == "simple", parts.count == 2 {
            return page(parts[1], request)
        }
        guard parts.count >= 3, let channel = channels[parts[0]] else { return nil }
        if let token = channel.token, request.headers["authorization"] != "Bearer \(token)" {
            return .text(401, "unauthorized")
        }
        let subdir = parts[1]
        guard ["linux-64", "noarch", "linux-aarch64"].contains(subdir) else { return .text(404, "no subdir") }
        let records = channel.records.filter { $0.subdir == subdir }
        switch (parts.count, parts[2]) {
        case (3, "repodata_shards.msgpack.zst"):
            guard channel.layout == .sharded else { return .text(404, "not sharded") }
            return conditional(RawZstd.frame(Self.shardIndex(records, subdir: subdir)), request)
        case (4, "shards"):
            guard channel.layout == .sharded else { return .text(404, "not sharded") }
            for (_, shard) in Self.shards(records) where Self.hex(Self.sha256(shard)) + ".msgpack.zst" == parts[3] {
                return TestReply(status: 200, headers: ["Content-Type": "application/octet-stream"], body: shard)
            }
            return .text(404, "no such shard")
        case (3, "repodata.json.zst"):
            guard channel.layout != .json else { return .text(404, "no zst") }
            return conditional(RawZstd.frame(Self.repodata(records, subdir: subdir)), request)
        case (3, "repodata.json"):
            return conditional(Self.repodata(records, subdir: subdir), request, type: "application/json")
        default:
            return .text(404, "not found")
        }
    }

    private func conditional(
        _ body: [UInt8], _ request: RecordedRequest, type: String = "application/octet-stream"
    ) -> TestReply {
        let etag = "\"" + String(Self.hex(Self.sha256(body)).prefix(16)) + "\""
        if request.headers["if-none-match"] == etag { return TestReply(status: 304, headers: ["ETag": etag]) }
        return TestReply(status: 200, headers: ["Content-Type": type, "ETag": etag], body: body)
    }

    private func page(_ project: String, _ request: RecordedRequest) -> TestReply {
        guard let files = projects[project] else { return .text(404, "no such project") }
        guard request.headers["accept"]?.contains("application/vnd.pypi.simple.v1+json") == true else {
            return TestReply(status: 200, headers: ["Content-Type": "text/html"], body: Array("<html/>".utf8))
        }
        let versions = Array(Set(files.compactMap { $0.filename.split(separator: "-").dropFirst().first }))
            .map(String.init).sorted()
        let object: [String: Any] = [
            "meta": ["api-version": "1.1", "_last-serial": 1], "name": project, "versions": versions,
            "files": files.map(\.json),
        ]
        let body = Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data())
        var reply = conditional(body, request, type: "application/vnd.pypi.simple.v1+json")
        if reply.status == 200 { reply.headers["Content-Type"] = "application/vnd.pypi.simple.v1+json" }
        return reply
    }

    static func sha256(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// Each package name's shard, zstd-framed: `packages`, `packages.conda` (its records), `removed`.
    static func shards(_ records: [FakeCondaRecord]) -> [(String, [UInt8])] {
        Dictionary(grouping: records, by: \.name).sorted { $0.key < $1.key }.map { name, records in
            let conda = records.sorted { $0.fileName < $1.fileName }.map { ($0.fileName, $0.messagePack) }
            let shard = MiniMessagePack.map([
                ("packages", .map([])), ("packages.conda", .map(conda)), ("removed", .array([])),
            ])
            return (name, RawZstd.frame(shard.encoded))
        }
    }

    static func shardIndex(_ records: [FakeCondaRecord], subdir: String) -> [UInt8] {
        let shards = shards(records).map { ($0.0, MiniMessagePack.binary(sha256($0.1))) }
        return MiniMessagePack.map([
            ("version", .int(1)),
            (
                "info",
                .map([
                    ("base_url", .string("./")), ("shards_base_url", .string("./shards/")),
                    ("subdir", .string(subdir)),
                ])
            ),
            ("shards", .map(shards)),
        ]).encoded
    }

    static func repodata(_ records: [FakeCondaRecord], subdir: String) -> [UInt8] {
        var conda: [String: Any] = [:]
        for record in records { conda[record.fileName] = record.json }
        let object: [String: Any] = [
            "info": ["subdir": subdir], "packages": [String: Any](), "packages.conda": conda, "repodata_version": 1,
        ]
        return Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data())
    }
}
