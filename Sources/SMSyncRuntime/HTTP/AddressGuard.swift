import Foundation
import SMSync

/// Resolves the host of each request and redirect hop, and refuses it when an address is in
/// `http.deny_networks`, before anything is sent (a source answering `302 Location:
/// http://169.254.169.254/…` must not reach the instance's credentials).
///
/// libcurl resolves the name again when it connects; a resolver that answers differently within those
/// milliseconds (DNS rebinding) is not covered. Literal addresses, the case of metadata redirects, are
/// checked exactly. A name that does not resolve here is let through: libcurl will fail on it too, or
/// a proxy resolves it.
enum AddressGuard {
    /// The addresses of `host` (a literal address is itself), 4 or 16 bytes each; empty when it does not resolve.
    static func resolve(_ host: String) -> [[UInt8]] {
        var host = host
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if let literal = IPNetwork.parseAddress(host) { return [literal] }
        var hints = addrinfo()
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(first) }
        var addresses: [[UInt8]] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if let socket = entry.pointee.ai_addr {
                switch entry.pointee.ai_family {
                case AF_INET:
                    let bytes = socket.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                        withUnsafeBytes(of: pointer.pointee.sin_addr) { Array($0) }
                    }
                    addresses.append(bytes)
                case AF_INET6:
                    let bytes = socket.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                        withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
                    }
                    addresses.append(bytes)
                default:
                    break
                }
            }
            cursor = entry.pointee.ai_next
        }
        return addresses
    }

    /// Why `url` may not be contacted (naming the address and the network), or nil when it may.
    static func violation(_ url: URL, _ networks: [IPNetwork]) -> String? {
        guard !networks.isEmpty, let host = url.host, !host.isEmpty else { return nil }
        for address in resolve(host) {
            guard let network = IPNetwork.first(in: networks, containing: address) else { continue }
            let shown = IPNetwork.format(address)
            let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            let subject = bare == shown ? "the address \(shown)" : "\(bare) resolves to \(shown), which"
            return "\(subject) is in `http.deny_networks` (\(network))"
        }
        return nil
    }

    /// ``violation(_:_:)`` off the caller's thread (name resolution blocks).
    static func check(_ url: URL, _ networks: [IPNetwork]) async -> String? {
        guard !networks.isEmpty else { return nil }
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: violation(url, networks))
            }
        }
    }
}
