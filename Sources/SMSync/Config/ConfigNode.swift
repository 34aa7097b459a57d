import Yams

/// A problem in `smsync.yml`: names the file, the key path (`sources[1].kind`) and the line.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var keyPath: String
    public var line: Int?
    public var message: String

    public init(path: String, keyPath: String, line: Int?, _ message: String) {
        self.path = path
        self.keyPath = keyPath
        self.line = line
        self.message = message
    }

    public var description: String {
        let place = line.map { "\(path):\($0)" } ?? path
        return keyPath.isEmpty ? "\(place): \(message)" : "\(place): `\(keyPath)`: \(message)"
    }
}

/// A YAML node of the configuration with the key path that leads to it, for typed reads with precise errors.
struct ConfigNode {
    let node: Node
    let keyPath: String
    let file: String

    var line: Int? { node.mark?.line }

    func error(_ message: String) -> ConfigError {
        ConfigError(path: file, keyPath: keyPath, line: line, message)
    }

    var isNull: Bool {
        guard let scalar = node.scalar, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    func child(_ key: String, _ value: Node) -> ConfigNode {
        ConfigNode(node: value, keyPath: keyPath.isEmpty ? key : "\(keyPath).\(key)", file: file)
    }

    /// The mapping's entries in file order, refusing keys outside `allowed`.
    func mapping(allowed: Set<String>) throws(ConfigError) -> [(key: String, value: ConfigNode)] {
        if isNull { return [] }
        guard let mapping = node.mapping else { throw error("must be a mapping") }
        var result: [(key: String, value: ConfigNode)] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else {
                throw ConfigError(path: file, keyPath: keyPath, line: keyNode.mark?.line, "keys must be strings")
            }
            let entry = child(key, value)
            guard allowed.contains(key) else {
                let known = allowed.sorted().joined(separator: ", ")
                throw ConfigError(
                    path: file, keyPath: entry.keyPath, line: keyNode.mark?.line,
                    "unknown key; known keys here: \(known)")
            }
            result.append((key, entry))
        }
        return result
    }

    /// A mapping whose keys are free-form names (kernel names, aliases), values as nodes.
    func namedEntries() throws(ConfigError) -> [(key: String, value: ConfigNode)] {
        if isNull { return [] }
        guard let mapping = node.mapping else { throw error("must be a mapping") }
        var result: [(key: String, value: ConfigNode)] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string, !key.isEmpty else {
                throw ConfigError(path: file, keyPath: keyPath, line: keyNode.mark?.line, "keys must be strings")
            }
            result.append((key, child(key, value)))
        }
        return result
    }

    func list() throws(ConfigError) -> [ConfigNode] {
        if isNull { return [] }
        guard let sequence = node.sequence else { throw error("must be a list") }
        return sequence.enumerated().map { index, item in
            ConfigNode(node: item, keyPath: "\(keyPath)[\(index)]", file: file)
        }
    }

    func string() throws(ConfigError) -> String {
        guard let scalar = node.scalar, !isNull else { throw error("must be a string") }
        return scalar.string
    }

    func strings() throws(ConfigError) -> [String] {
        var result: [String] = []
        for item in try list() { result.append(try item.string()) }
        return result
    }

    func bool() throws(ConfigError) -> Bool {
        guard let scalar = node.scalar, scalar.style == .plain else { throw error("must be true or false") }
        switch scalar.string {
        case "true", "True", "TRUE", "yes", "Yes", "on": return true
        case "false", "False", "FALSE", "no", "No", "off": return false
        default: throw error("must be true or false, not \(scalar.string.debugDescription)")
        }
    }

    func int(in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let scalar = node.scalar, scalar.style == .plain, let value = Int(scalar.string) else {
            throw error("must be a whole number")
        }
        guard range.contains(value) else { throw error("must be between \(range.lowerBound) and \(range.upperBound)") }
        return value
    }

    func number(in range: ClosedRange<Double>) throws(ConfigError) -> Double {
        guard let scalar = node.scalar, scalar.style == .plain, let value = Double(scalar.string) else {
            throw error("must be a number")
        }
        guard range.contains(value) else { throw error("must be between \(range.lowerBound) and \(range.upperBound)") }
        return value
    }
}
