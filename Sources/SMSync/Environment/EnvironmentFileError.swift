/// Why an environment file could not be read or edited; `description` names the file and line.
public struct EnvironmentFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        case notText = "not-text"
        case invalidYAML = "invalid-yaml"
        case tabIndentation = "tab-indentation"
        /// A tab outside quotes, block scalars and comments, which conda's YAML reader refuses.
        case tabCharacter = "tab-character"
        /// An application tag (`!!python/tuple`) that conda's safe YAML loader refuses.
        case unsupportedTag = "unsupported-tag"
        case duplicateKey = "duplicate-key"
        case invalidStructure = "invalid-structure"
        case invalidSpec = "invalid-spec"
        case packageNotFound = "package-not-found"
        case ambiguousPackage = "ambiguous-package"
        case invalidName = "invalid-name"
        case invalidVersion = "invalid-version"
        case notARequirement = "not-a-requirement"
        case unpinned
        case rangeExcludes = "range-excludes"
        case notEditable = "not-editable"
        case editProofFailed = "edit-proof-failed"
    }

    public var code: Code
    public var path: String
    /// 1-based line, when the problem has one.
    public var line: Int?
    public var message: String

    public init(_ code: Code, path: String, line: Int?, _ message: String) {
        self.code = code
        self.path = path
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { return "\(path):\(line): \(message)" }
        return "\(path): \(message)"
    }
}
