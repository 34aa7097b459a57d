/// The shard index of a CEP-16 sharded subdir (`<channel>/<subdir>/repodata_shards.msgpack.zst`, decompressed):
/// which shard holds the records of each package name.
public struct ShardIndex: Sendable, Equatable {
    /// `info.base_url`, where the package files are (absolute, or relative to the index).
    public var baseURL: String?
    /// `info.shards_base_url`, where the shards are (absolute, or relative to the index); CEP 16's default is
    /// `./shards/`.
    public var shardsBaseURL: String?
    public var subdir: String?
    /// Package name → the SHA-256 of its compressed shard (32 bytes).
    public var shards: [String: [UInt8]]

    public init(baseURL: String? = nil, shardsBaseURL: String? = nil, subdir: String? = nil, shards: [String: [UInt8]])
    {
        self.baseURL = baseURL
        self.shardsBaseURL = shardsBaseURL
        self.subdir = subdir
        self.shards = shards
    }

    /// Decodes the MessagePack of a shard index.
    public init(messagePack bytes: [UInt8]) throws(AvailabilityDataError) {
        let value: MessagePackValue
        do {
            value = try MessagePackDecoder().decode(bytes)
        } catch {
            throw AvailabilityDataError("shard index: \(error.description)")
        }
        guard case .map = value else { throw AvailabilityDataError("shard index: not a map") }
        if let version = value["version"], let number = version.intValue, number != 1 {
            throw AvailabilityDataError("shard index: version \(number) is not supported (only 1)")
        }
        let info = value["info"]
        baseURL = info?["base_url"]?.stringValue
        shardsBaseURL = info?["shards_base_url"]?.stringValue
        subdir = info?["subdir"]?.stringValue
        guard let pairs = value["shards"]?.mapValue else { throw AvailabilityDataError("shard index: no `shards` map") }
        var shards: [String: [UInt8]] = [:]
        shards.reserveCapacity(pairs.count)
        for pair in pairs {
            guard let name = pair.key.stringValue else {
                throw AvailabilityDataError("shard index: a `shards` key is not a string")
            }
            guard let hash = pair.value.binaryValue, hash.count == 32 else {
                throw AvailabilityDataError("shard index: the hash of `\(name)` is not 32 bytes of SHA-256")
            }
            shards[name] = hash
        }
        self.shards = shards
    }

    /// The lower-case hex SHA-256 of `name`'s shard; nil when the subdir has no such package.
    public func shardHash(_ name: String) -> String? {
        shards[name].map(Self.hex)
    }

    /// Bytes as lower-case hex digits.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// One CEP-16 shard (`shards/<sha256>.msgpack.zst`, decompressed): the records of one package name.
public enum RepodataShard {
    /// The records of `packages` and `packages.conda`, without those listed in `removed`. A record without
    /// `subdir` takes `fallbackSubdir`.
    public static func records(
        messagePack bytes: [UInt8], fallbackSubdir: String
    ) throws(AvailabilityDataError) -> [CondaRecord] {
        let value: MessagePackValue
        do {
            value = try MessagePackDecoder().decode(bytes)
        } catch {
            throw AvailabilityDataError("shard: \(error.description)")
        }
        guard case .map = value else { throw AvailabilityDataError("shard: not a map") }
        var removed: Set<String> = []
        if let list = value["removed"]?.arrayValue {
            for item in list {
                if let name = item.stringValue { removed.insert(name) }
            }
        }
        var records: [CondaRecord] = []
        for key in ["packages", "packages.conda"] {
            guard let entry = value[key], entry != .null else { continue }
            guard let pairs = entry.mapValue else { throw AvailabilityDataError("shard: `\(key)` is not a map") }
            for pair in pairs {
                guard let fileName = pair.key.stringValue else {
                    throw AvailabilityDataError("shard: a `\(key)` key is not a string")
                }
                guard !removed.contains(fileName) else { continue }
                do {
                    var record = try CondaRecord(shard: pair.value, fileName: fileName)
                    if record.subdir.isEmpty { record.subdir = fallbackSubdir }
                    records.append(record)
                } catch {
                    throw AvailabilityDataError("shard: the record `\(fileName)`: \(error.message)")
                }
            }
        }
        return records
    }
}
