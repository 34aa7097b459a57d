import Foundation

/// Reads secrets (tokens, webhook keys) from the environment: `NAME`, or when that is unset, the file named by
/// `NAME_FILE` (systemd credentials, Kubernetes and Docker secrets mount files). Values never reach logs.
public struct Secrets: Sendable {
    public var environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// The secret named `name`, trimmed of surrounding whitespace; nil when neither form is set.
    public func value(_ name: String) -> String? {
        if let value = environment[name], !value.isEmpty { return value }
        guard let path = environment["\(name)_FILE"], !path.isEmpty,
            let bytes = try? AtomicFile.read(path, limit: 64 << 10)
        else { return nil }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    /// Why a `NAME_FILE` among `names` cannot be read (a FIFO, a socket, a device, missing, too large), for
    /// names whose plain variable is unset; nil when all can. A run checks this before taking its lock,
    /// so a bad secret file is a configuration error (exit 2), not a hang or a silently missing secret.
    public func problem(_ names: [String]) -> String? {
        for name in names where (environment[name] ?? "").isEmpty {
            guard let path = environment["\(name)_FILE"], !path.isEmpty else { continue }
            do {
                _ = try AtomicFile.read(path, limit: 64 << 10)
            } catch {
                return "\(name)_FILE: \(error.description)"
            }
        }
        return nil
    }

    /// The environment with the `NAME_FILE` secrets resolved into `NAME`, for code that reads plain variables.
    public func resolving(_ names: [String]) -> [String: String] {
        var result = environment
        for name in names where result[name] == nil {
            if let value = value(name) { result[name] = value }
        }
        return result
    }
}
