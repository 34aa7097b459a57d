import Foundation

/// A credential read from the environment. Its value never shows in descriptions, dumps or mirrors.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The credential itself; read it only to put it in a request header or a signature.
    public let value: String

    /// Wraps `value`.
    public init(_ value: String) {
        self.value = value
    }

    /// The secret named `name` in `environment`; nil when unset or empty.
    public static func from(environment: [String: String], name: String) -> Secret? {
        guard let value = environment[name], !value.isEmpty else { return nil }
        return Secret(value)
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [:]) }

    /// `text` with every occurrence of the secret replaced by `<redacted>`.
    public func redact(_ text: String) -> String {
        value.count < 4 ? text : text.replacingOccurrences(of: value, with: "<redacted>")
    }
}
