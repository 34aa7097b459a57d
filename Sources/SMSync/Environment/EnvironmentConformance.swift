/// Runs the reader and the lossless editor over one environment file the way a conformance check does: parse it,
/// move every pinned entry to a synthetic next version, and check each edit independently of the editor's own
/// proof (only the version text, and a dropped build, differ; the file reads back with the entry at the new
/// version and every other entry as it was).
public enum EnvironmentConformance {
    /// What happened to one pinned entry.
    public enum Outcome: Sendable, Hashable {
        /// Edited, and the edit checks out.
        case exact
        /// The spec already admits the next version; nothing changed (`reason` says so).
        case unchanged(String)
        /// The editor refused, with its error code and one-line reason.
        case refused(EnvironmentFileError.Code, String)
        /// The editor returned an edit that the independent check rejects: a bug.
        case inexact(String)
    }

    public struct EntryResult: Sendable {
        public var line: Int
        public var raw: String
        public var manager: PackageManager
        public var next: String
        public var outcome: Outcome
    }

    public struct FileResult: Sendable {
        public var path: String
        /// The reader's error when the file was refused.
        public var error: EnvironmentFileError?
        public var encoding: TextEncoding?
        /// Entries read (aliases of one node count once).
        public var entries = 0
        /// Entries with a version to move.
        public var pinned = 0
        public var results: [EntryResult] = []

        public init(path: String, error: EnvironmentFileError? = nil) {
            self.path = path
            self.error = error
        }

        public var exact: Int { results.filter { $0.outcome == .exact }.count }
    }

    public static func check(bytes: [UInt8], path: String) -> FileResult {
        var result = FileResult(path: path)
        let file: EnvironmentFile
        do {
            file = try EnvironmentFile(bytes: bytes, path: path)
        } catch {
            result.error = error
            return result
        }
        result.encoding = file.encoding
        var seen: Set<Int> = []
        for dependency in file.dependencies {
            if let start = dependency.nodeStart, !seen.insert(start).inserted { continue }
            result.entries += 1
            guard let entry = checkEntry(dependency, in: file) else { continue }
            result.pinned += 1
            result.results.append(entry)
        }
        return result
    }

    /// Moves one entry of `file` to a synthetic next version and checks the edit; nil when it pins nothing.
    public static func checkEntry(_ dependency: EnvironmentDependency, in file: EnvironmentFile) -> EntryResult? {
        guard let name = dependency.name, let spec = dependency.versionText, let current = pinnedVersion(spec)
        else { return nil }
        let next = nextVersion(after: current)
        let outcome: Outcome
        do {
            let edit = try file.settingVersion(of: name, to: next, manager: dependency.manager)
            if edit.edits.isEmpty {
                outcome = .unchanged(edit.unchanged ?? "nothing changed")
            } else {
                outcome = verify(edit, of: dependency, in: file, next: next)
            }
        } catch {
            outcome = .refused(error.code, error.message)
        }
        return EntryResult(
            line: dependency.line, raw: dependency.raw, manager: dependency.manager, next: next, outcome: outcome)
    }

    /// The version a spec pins: the bound an edit moves, or for a spec the editor cannot split (`12.*|11.8`) its
    /// first version; nil when unpinned (`*`).
    static func pinnedVersion(_ spec: String) -> String? {
        guard let current = DriftEngine.currentVersion(spec) else { return nil }
        guard ConstraintClause.split(spec) == nil else { return current }
        let scalars = Array(spec.unicodeScalars)
        guard let start = scalars.firstIndex(where: { $0.isASCII && $0.properties.numericType != nil }) else {
            return nil
        }
        let allowed = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ._+!-".unicodeScalars)
        var end = start
        while end < scalars.count, allowed.contains(scalars[end]) { end += 1 }
        var text = String(String.UnicodeScalarView(scalars[start..<end]))
        while text.hasSuffix(".") { text.removeLast() }
        return text.isEmpty ? nil : text
    }

    /// A version after `version`: its last number plus one (`1.7.0` → `1.7.1`, `8` → `9`, `1.0rc1` → `1.0rc2`).
    public static func nextVersion(after version: String) -> String {
        var scalars = Array(version.unicodeScalars)
        guard let last = scalars.lastIndex(where: { $0.properties.numericType != nil && $0.isASCII }) else {
            return version + ".1"
        }
        var first = last
        while first > 0, scalars[first - 1].isASCII, scalars[first - 1].properties.numericType != nil { first -= 1 }
        let digits = String(String.UnicodeScalarView(scalars[first...last]))
        guard digits.count < 18, let number = Int(digits) else { return version + ".1" }
        scalars.replaceSubrange(first...last, with: Array(String(number + 1).unicodeScalars))
        return String(String.UnicodeScalarView(scalars))
    }

    /// Checks an edit without trusting the editor: the bytes before the version text and after it (and after a
    /// dropped build) are the original ones, and the re-read file has the entry at the new version.
    static func verify(
        _ edit: EnvironmentEdit, of dependency: EnvironmentDependency, in file: EnvironmentFile, next: String
    ) -> Outcome {
        guard let range = dependency.versionRange, let change = edit.edits.first, edit.edits.count == 1 else {
            return .inexact("expected exactly one edit with a located version")
        }
        let before = file.source.bytes
        let after = Array(edit.text.utf8)
        var end = range.upperBound
        if change.droppedBuild != nil, let build = dependency.buildRange { end = max(end, build.upperBound) }
        let suffix = before.count - end
        guard after.count >= range.lowerBound + suffix,
            after.prefix(range.lowerBound).elementsEqual(before.prefix(range.lowerBound)),
            after.suffix(suffix).elementsEqual(before.suffix(suffix))
        else { return .inexact("bytes outside the version text changed") }
        let middle = after[range.lowerBound..<(after.count - suffix)]
        guard middle.elementsEqual(change.newText.utf8) else {
            return .inexact("the spliced text is not the reported `\(change.newText)`")
        }
        let reread: EnvironmentFile
        do {
            reread = try EnvironmentFile(text: edit.text, path: file.path, encoding: file.encoding)
        } catch {
            return .inexact("the edited file does not read: \(error.message)")
        }
        guard reread.dependencies.count == file.dependencies.count else {
            return .inexact("the number of entries changed")
        }
        for (old, new) in zip(file.dependencies, reread.dependencies) {
            if old.nodeStart == dependency.nodeStart {
                guard new.versionText == change.newText, new.name == old.name else {
                    return .inexact("the entry reads back as `\(new.raw)`")
                }
            } else if old.raw != new.raw {
                return .inexact("line \(old.line) changed too")
            }
        }
        guard let moved = DriftEngine.currentVersion(change.newText) else { return .exact }
        // The moved bound is the new version, or its prefix when a wildcard keeps its precision (`==8.*` → `==9.*`).
        return next.hasPrefix(moved) ? .exact : .inexact("the moved bound reads `\(moved)`, not \(next)")
    }
}
