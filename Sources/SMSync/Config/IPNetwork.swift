import Foundation

/// An IPv4 or IPv6 network in CIDR notation (`169.254.0.0/16`, `fe80::/10`), for `http.deny_networks`.
///
/// Parsing is strict: the address must be a literal (no host names), the prefix within 0…32 or 0…128,
/// and no bits may be set past the prefix (`169.254.1.1/16` is refused, so a typo cannot widen or
/// narrow the list silently). A bare address is a network of one (`/32`, `/128`).
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6, in network order.
    public let address: [UInt8]
    public let prefixLength: Int

    /// The networks refused by default: IPv4 and IPv6 link-local (where EC2/ECS/GCP/Azure metadata
    /// services live, `169.254.169.254`), the EC2 IPv6 metadata address, and Alibaba Cloud's metadata address.
    public static let defaultDenied: [IPNetwork] = [
        "169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128", "100.100.100.200/32",
    ].compactMap { try? IPNetwork(parsing: $0) }

    /// Why a text is not a network.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public init(parsing text: String) throws(ParseError) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let bytes = Self.parseAddress(String(parts[0])) else {
            throw ParseError(
                message: "\(text.debugDescription) is not an IPv4 or IPv6 address (CIDR `a.b.c.d/n`, `x::/n`)")
        }
        let bits = bytes.count * 8
        var prefix = bits
        if parts.count == 2 {
            guard let value = Int(parts[1]), (0...bits).contains(value), parts[1].allSatisfy(\.isASCII) else {
                throw ParseError(message: "\(text.debugDescription): the prefix length must be 0 to \(bits)")
            }
            prefix = value
        }
        let network = Self.masked(bytes, prefix)
        guard network == bytes else {
            let suggestion = IPNetwork(address: network, prefixLength: prefix)
            throw ParseError(
                message: "\(text.debugDescription) has bits set past its prefix; did you mean \(suggestion)?")
        }
        self.init(address: network, prefixLength: prefix)
    }

    private init(address: [UInt8], prefixLength: Int) {
        self.address = address
        self.prefixLength = prefixLength
    }

    /// True when `candidate` (4 or 16 bytes) is in this network. An IPv4-mapped IPv6 address
    /// (`::ffff:169.254.169.254`) is matched as the IPv4 address it stands for.
    public func contains(_ candidate: [UInt8]) -> Bool {
        var candidate = candidate
        if candidate.count == 16, address.count == 4, candidate[0..<10].allSatisfy({ $0 == 0 }),
            candidate[10] == 0xFF, candidate[11] == 0xFF
        {
            candidate = Array(candidate[12..<16])
        }
        guard candidate.count == address.count else { return false }
        return Self.masked(candidate, prefixLength) == address
    }

    /// The first network of `networks` that holds `candidate`.
    public static func first(in networks: [IPNetwork], containing candidate: [UInt8]) -> IPNetwork? {
        networks.first { $0.contains(candidate) }
    }

    /// `a.b.c.d` or an IPv6 text (brackets allowed) as 4 or 16 bytes; nil for anything else.
    public static func parseAddress(_ text: String) -> [UInt8]? {
        var text = text
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        guard !text.isEmpty, text.utf8.count < 64, text.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            return nil
        }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    /// The usual text of an address of 4 or 16 bytes.
    public static func format(_ bytes: [UInt8]) -> String {
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        var buffer = [CChar](repeating: 0, count: 64)
        let ok = bytes.withUnsafeBytes { raw in
            buffer.withUnsafeMutableBufferPointer { out in
                inet_ntop(family, raw.baseAddress, out.baseAddress, socklen_t(out.count)) != nil
            }
        }
        guard ok else { return bytes.map(String.init).joined(separator: ".") }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public var description: String { "\(Self.format(address))/\(prefixLength)" }

    private static func masked(_ bytes: [UInt8], _ prefix: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let keep = min(max(prefix - index * 8, 0), 8)
            return keep == 8 ? byte : byte & ~(UInt8(0xFF) >> keep)
        }
    }
}
