import Foundation
import SMSync

/// Why a lookup could not be made.
public struct AvailabilityLookupError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// Channels and an index in local folders (`file://` URLs): a channel is a folder of `<subdir>/repodata.json`
/// (plain JSON, as `conda index` writes it), an index a folder of `<project>/index.json` (PEP 691 JSON). For
/// mirrors on a shared disk, offline checks and tests.
public struct LocalAvailabilityLookup: AvailabilityLookup {
    /// The largest file read.
    public var maxBytes: Int

    public init(maxBytes: Int = 1 << 30) {
        self.maxBytes = maxBytes
    }

    public func condaRecords(
        channel: String, subdir: String, names: Set<String>
    ) async throws
        -> [String: [CondaRecord]]
    {
        let root = try Self.path(of: channel)
        guard Self.isPlainName(subdir) else {
            throw AvailabilityLookupError("\(subdir.debugDescription) is not a subdir")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw AvailabilityLookupError("no channel folder at \(root)")
        }
        let file = "\(root)/\(subdir)/repodata.json"
        guard FileManager.default.fileExists(atPath: file) else { return [:] }
        let bytes: [UInt8]
        do {
            bytes = try AtomicFile.read(file, limit: maxBytes)
        } catch {
            throw AvailabilityLookupError("cannot read \(file): \(error.description)")
        }
        let repodata: Repodata
        do {
            repodata = try JSONDecoder().decode(Repodata.self, from: Data(bytes))
        } catch {
            throw AvailabilityLookupError("\(file) is not repodata JSON: \(error)")
        }
        var result: [String: [CondaRecord]] = [:]
        for (map, _) in [(repodata.packages, "tar.bz2"), (repodata.condaPackages, "conda")] {
            for (fileName, record) in map ?? [:] {
                let name = record.name.lowercased()
                guard names.contains(name) else { continue }
                result[name, default: []].append(
                    CondaRecord(
                        name: name, version: record.version, build: record.build, buildNumber: record.buildNumber ?? 0,
                        depends: record.depends ?? [], subdir: record.subdir ?? subdir, noarch: record.noarch?.value,
                        fileName: fileName))
            }
        }
        for name in result.keys { result[name]?.sort { $0.fileName < $1.fileName } }
        return result
    }

    public func indexFiles(indexURL: String, project: String) async throws -> [IndexFile]? {
        let root = try Self.path(of: indexURL)
        guard Self.isPlainName(project) else {
            throw AvailabilityLookupError("\(project.debugDescription) is not a normalised project name")
        }
        let file = "\(root)/\(project)/index.json"
        guard FileManager.default.fileExists(atPath: file) else { return nil }
        let bytes: [UInt8]
        do {
            bytes = try AtomicFile.read(file, limit: maxBytes)
        } catch {
            throw AvailabilityLookupError("cannot read \(file): \(error.description)")
        }
        do {
            let page = try JSONDecoder().decode(SimplePage.self, from: Data(bytes))
            return page.files.map { file in
                IndexFile(
                    filename: file.filename, requiresPython: file.requiresPython,
                    yanked: file.yanked?.isYanked ?? false, yankedReason: file.yanked?.reason)
            }
        } catch {
            throw AvailabilityLookupError("\(file) is not PEP 691 JSON: \(error)")
        }
    }

    /// The folder of a `file://` URL.
    static func path(of url: String) throws(AvailabilityLookupError) -> String {
        guard url.hasPrefix("file://"), AvailabilityConfig.isChannelURL(url) else {
            throw AvailabilityLookupError("\(url) is not a file:// URL")
        }
        let path = AvailabilityConfig.trimmed(String(url.dropFirst("file://".count)))
        guard path.hasPrefix("/") else { throw AvailabilityLookupError("\(url): a file:// URL needs an absolute path") }
        return path.removingPercentEncoding ?? path
    }

    /// Lower-case letters, digits, `-`, `_`, `.`; not `.` or `..`.
    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && name.utf8.count <= 200
            && name.utf8.allSatisfy {
                (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E
            }
    }

    struct Repodata: Decodable {
        var packages: [String: Record]?
        var condaPackages: [String: Record]?

        enum CodingKeys: String, CodingKey {
            case packages
            case condaPackages = "packages.conda"
        }
    }

    struct Record: Decodable {
        var name: String
        var version: String
        var build: String
        var buildNumber: Int?
        var depends: [String]?
        var subdir: String?
        var noarch: Noarch?

        enum CodingKeys: String, CodingKey {
            case name, version, build, depends, subdir, noarch
            case buildNumber = "build_number"
        }
    }

    /// `"noarch": "python"`, or the old `"noarch": true` (generic).
    struct Noarch: Decodable {
        var value: String?

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                value = text
            } else if let flag = try? container.decode(Bool.self) {
                value = flag ? "generic" : nil
            } else {
                value = nil
            }
        }
    }

    struct SimplePage: Decodable {
        var files: [File]

        struct File: Decodable {
            var filename: String
            var requiresPython: String?
            var yanked: Yanked?

            enum CodingKeys: String, CodingKey {
                case filename, yanked
                case requiresPython = "requires-python"
            }
        }
    }

    /// `"yanked": false`, `true`, or a reason.
    struct Yanked: Decodable {
        var isYanked: Bool
        var reason: String?

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                isYanked = true
                reason = text.isEmpty ? nil : text
            } else {
                isYanked = (try? container.decode(Bool.self)) ?? false
                reason = nil
            }
        }
    }
}

/// Sends each lookup to the local folders (`file://`) or to the HTTP lookup (`http(s)://`).
public struct RoutingAvailabilityLookup: AvailabilityLookup {
    public var local: LocalAvailabilityLookup
    public var remote: (any AvailabilityLookup)?

    public init(local: LocalAvailabilityLookup = LocalAvailabilityLookup(), remote: (any AvailabilityLookup)?) {
        self.local = local
        self.remote = remote
    }

    public func condaRecords(
        channel: String, subdir: String, names: Set<String>
    ) async throws
        -> [String: [CondaRecord]]
    {
        if channel.hasPrefix("file://") {
            return try await local.condaRecords(channel: channel, subdir: subdir, names: names)
        }
        return try await remoteLookup(channel).condaRecords(channel: channel, subdir: subdir, names: names)
    }

    public func indexFiles(indexURL: String, project: String) async throws -> [IndexFile]? {
        if indexURL.hasPrefix("file://") { return try await local.indexFiles(indexURL: indexURL, project: project) }
        return try await remoteLookup(indexURL).indexFiles(indexURL: indexURL, project: project)
    }

    private func remoteLookup(_ url: String) throws(AvailabilityLookupError) -> any AvailabilityLookup {
        guard let remote else {
            throw AvailabilityLookupError("http channels need the HTTP lookup (\(url))")
        }
        return remote
    }
}

/// THE place that picks how availability is looked up. `file://` channels and indexes are read from local folders;
/// `http(s)://` ones need the HTTP lookup (sharded repodata, `repodata.json(.zst)`, PEP 691 pages, cached under
/// `cacheDirectory`, with `Authorization: Bearer <token>` from `secrets` for the URLs `configuration.availability`
/// gives a `token_env`). One lookup per run: it fetches each channel subdir and each project page once.
public func makeAvailabilityLookup(
    configuration: Configuration, http: HTTPClient, cacheDirectory: String, secrets: Secrets
) throws -> any AvailabilityLookup {
    let availability = configuration.availability
    let authorization: @Sendable (String) -> String? = { url in
        guard let env = availability.tokenEnv(for: url), let token = secrets.value(env) else { return nil }
        return "Bearer \(token)"
    }
    let remote = HTTPAvailabilityLookup(http: http, cacheDirectory: cacheDirectory, authorization: authorization)
    return RoutingAvailabilityLookup(local: LocalAvailabilityLookup(), remote: remote)
}
