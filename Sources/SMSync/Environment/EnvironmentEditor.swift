/// One version change made by the lossless editor.
public struct VersionEdit: Sendable, Hashable {
    public var package: String
    public var manager: PackageManager
    public var line: Int
    /// The version-spec text before and after (`=1.19.5` → `=1.20.0`).
    public var oldText: String
    public var newText: String
    /// The version the dependency was moved to.
    public var version: String
    /// A build string that belonged to the old version and was removed with it.
    public var droppedBuild: String?
}

/// One version to set with `EnvironmentFile.settingVersions`.
public struct VersionChange: Sendable, Hashable {
    public var package: String
    public var version: String
    /// The manager whose entry to change; nil when the name alone is unambiguous.
    public var manager: PackageManager?

    public init(package: String, version: String, manager: PackageManager? = nil) {
        self.package = package
        self.version = version
        self.manager = manager
    }
}

/// The result of setting a version: the whole new file text and what changed. `edits` is empty when the file
/// already admits the version and nothing had to change.
public struct EnvironmentEdit: Sendable {
    public var text: String
    public var edits: [VersionEdit]
    /// The file's encoding: `bytes` is what to write.
    public var encoding: TextEncoding = .utf8
    /// Why nothing changed when `edits` is empty (`` `polars>0.20` already admits 0.30; left as is ``).
    public var unchanged: String?

    /// The new file content in the file's own encoding, byte-order mark included.
    public var bytes: [UInt8] { encoding.encode(text) }
}

extension EnvironmentFile {
    /// Reads an environment file from bytes as conda does: UTF-8 (with or without a byte-order mark) or UTF-16 with
    /// a byte-order mark; binary data and other encodings are refused.
    public init(bytes: [UInt8], path: String) throws(EnvironmentFileError) {
        let (text, encoding) = try TextEncoding.decode(bytes, path: path)
        try self.init(text: text, path: path, encoding: encoding)
    }

    /// The entries that `package` names under `manager` (or either manager), matched the way each ecosystem
    /// compares names: conda case-insensitively (its `MatchSpec` lower-cases names: `PyYAML` is `pyyaml`), pip
    /// PEP 503-normalised. Aliases of one YAML node count once.
    public func dependencies(named package: String, manager: PackageManager? = nil) -> [EnvironmentDependency] {
        let pipName = normalizedPythonPackageName(package)
        let condaName = package.lowercased()
        var seen: Set<Int> = []
        return dependencies.filter { dependency in
            if let manager, dependency.manager != manager { return false }
            guard Self.lookupName(of: dependency) == (dependency.manager == .conda ? condaName : pipName) else {
                return false
            }
            guard let start = dependency.valueRange?.lowerBound else { return true }
            return seen.insert(start).inserted
        }
    }

    /// The name `dependencies(named:manager:)` matches an entry by: a conda name lower-cased, a pip name (or an
    /// `#egg=` name) PEP 503-normalised; nil for a pip line without one.
    static func lookupName(of dependency: EnvironmentDependency) -> String? {
        switch dependency.requirement {
        case .conda(let spec): spec.name.lowercased()
        case .pip(let requirement): normalizedPythonPackageName(requirement.name)
        case .other: eggName(of: dependency.raw).map(normalizedPythonPackageName)
        }
    }

    /// `dependencies(named:manager:)` for many names: the file's entries indexed once by the name they match.
    struct DependencyIndex {
        let file: EnvironmentFile
        /// Where each (manager, matched name) appears.
        private var positions: [Key: [Int]] = [:]

        private struct Key: Hashable {
            var conda: Bool
            var name: String
        }

        init(_ file: EnvironmentFile) {
            self.file = file
            positions.reserveCapacity(file.dependencies.count)
            file.dependencies.withUnsafeBufferPointer { dependencies in
                for index in dependencies.indices {
                    guard let name = EnvironmentFile.lookupName(of: dependencies[index]) else { continue }
                    positions[Key(conda: dependencies[index].manager == .conda, name: name), default: []].append(index)
                }
            }
        }

        /// The same entries, in the same order, as `file.dependencies(named: package, manager: manager)`.
        func dependencies(named package: String, manager: PackageManager?) -> [EnvironmentDependency] {
            var indices: [Int] = []
            if manager != .pip { indices += positions[Key(conda: true, name: package.lowercased())] ?? [] }
            if manager != .conda {
                indices += positions[Key(conda: false, name: normalizedPythonPackageName(package))] ?? []
            }
            if indices.count == 1 { return [file.dependencies[indices[0]]] }
            indices.sort()
            var seen: Set<Int> = []
            return indices.compactMap { index in
                let dependency = file.dependencies[index]
                guard let start = dependency.valueRange?.lowerBound else { return dependency }
                return seen.insert(start).inserted ? dependency : nil
            }
        }
    }

    /// Sets the version of one dependency, changing nothing else in the file, byte for byte.
    ///
    /// The operator style stays (`=1.2` → `=1.3`, `==1.2` → `==1.3`, `>=1.2` → `>=1.3`); a build string that
    /// belonged to the old version goes (`numpy=1.19.5=py36h…` → `numpy=1.20.0`); a range that `version` does not
    /// fit is refused, and so is an entry that is not a requirement. The new text is read back and compared with
    /// this file: only the one dependency may differ.
    public func settingVersion(
        of package: String, to version: String, manager: PackageManager? = nil
    )
        throws(EnvironmentFileError) -> EnvironmentEdit
    {
        try settingVersions([VersionChange(package: package, version: version, manager: manager)])
    }

    /// Sets the versions of several dependencies at once, as `settingVersion` sets one: every splice is made on
    /// this file's bytes, and the result is read back once and compared with this file, where only those
    /// dependencies may differ. `unchanged` holds the first note when none of them needed an edit.
    public func settingVersions(_ changes: [VersionChange]) throws(EnvironmentFileError) -> EnvironmentEdit {
        var splices: [(range: Range<Int>, replacement: [UInt8])] = []
        var edits: [VersionEdit] = []
        var targets: [(dependency: EnvironmentDependency, versionText: String)] = []
        var unchanged: String?
        let index = changes.count > 1 ? DependencyIndex(self) : nil
        for change in changes {
            let (package, version) = (change.package, change.version)
            guard Self.isSafePackageName(package) else {
                throw EnvironmentFileError(
                    .invalidName, path: path, line: nil,
                    "\(package.debugDescription) is not a package name (letters, digits, `.`, `_`, `-` only)")
            }
            guard Self.isSafeVersion(version) else {
                throw EnvironmentFileError(
                    .invalidVersion, path: path, line: nil,
                    "\(version.debugDescription) is not a version (letters, digits, `.`, `_`, `-`, `+`, `!` only)")
            }
            let found =
                index?.dependencies(named: package, manager: change.manager)
                ?? dependencies(named: package, manager: change.manager)
            guard let target = found.first else {
                let which = change.manager.map { " as a \($0.rawValue) dependency" } ?? ""
                throw EnvironmentFileError(
                    .packageNotFound, path: path, line: nil, "no dependency `\(package)`\(which)")
            }
            guard found.count == 1 else {
                let lines = found.map { "\($0.manager.rawValue) at line \($0.line)" }.joined(separator: ", ")
                let hint = Set(found.map(\.manager)).count > 1 ? "; choose one with --manager" : ""
                throw EnvironmentFileError(
                    .ambiguousPackage, path: path, line: target.line,
                    "`\(package)` appears more than once (\(lines))\(hint)")
            }
            let newText = try plannedVersionText(for: target, to: version)
            guard let oldText = target.versionText, let versionRange = target.versionRange, newText != oldText else {
                unchanged = unchanged ?? Self.admitsNote(target, version)
                continue
            }
            splices.append((versionRange, Array(newText.utf8)))
            var droppedBuild: String?
            if let build = target.build, let buildRange = target.buildRange, !build.contains("*") {
                splices.append((buildRange, []))
                droppedBuild = build
            }
            edits.append(
                VersionEdit(
                    package: target.name ?? package, manager: target.manager, line: target.line, oldText: oldText,
                    newText: newText, version: version, droppedBuild: droppedBuild))
            targets.append((target, newText))
        }
        guard !splices.isEmpty else {
            return EnvironmentEdit(text: text, edits: [], encoding: encoding, unchanged: unchanged)
        }
        splices.sort { $0.range.lowerBound > $1.range.lowerBound }
        for (later, earlier) in zip(splices, splices.dropFirst())
        where earlier.range.upperBound > later.range.lowerBound {
            throw EnvironmentFileError(
                .editProofFailed, path: path, line: nil,
                "two updates change the same text (bytes \(later.range.lowerBound)); nothing was changed")
        }
        var bytes = source.bytes
        for splice in splices {
            bytes.replaceSubrange(splice.range, with: splice.replacement)
        }
        let newFileText = String(decoding: bytes, as: UTF8.self)
        try proveOnlyChanged(newFileText, edited: targets)
        return EnvironmentEdit(text: newFileText, edits: edits, encoding: encoding)
    }

    /// What `env set`, `diff` and `apply` say when a spec already admits the version: nothing is edited.
    static func admitsNote(_ target: EnvironmentDependency, _ version: String) -> String {
        "`\(target.raw)` already admits \(version); left as is"
    }

    /// The version-spec text `dependency` would have after moving to `version`, without editing anything:
    /// the check `diff` runs for every candidate update. Throws what `settingVersion` would throw.
    public func plannedVersionText(
        for target: EnvironmentDependency, to version: String
    ) throws(EnvironmentFileError)
        -> String
    {
        try plannedVersionText(for: target, to: version, memo: nil)
    }

    /// `plannedVersionText`, with versions parsed and admissions decided through `memo` when there is one (the
    /// same upstream version meets many files).
    func plannedVersionText(
        for target: EnvironmentDependency, to version: String, memo: DecisionMemo?
    ) throws(EnvironmentFileError)
        -> String
    {
        guard Self.isSafeVersion(version) else {
            throw EnvironmentFileError(
                .invalidVersion, path: path, line: target.line,
                "\(version.debugDescription) is not a version (letters, digits, `.`, `_`, `-`, `+`, `!` only)")
        }
        try Self.validate(version, for: target, path: path, memo: memo)
        guard let oldText = target.versionText else {
            throw EnvironmentFileError(
                .unpinned, path: path, line: target.line,
                "`\(target.raw)` is unpinned; smsync changes existing version pins only")
        }
        if Self.isAnyVersion(oldText, manager: target.manager) {
            throw EnvironmentFileError(
                .unpinned, path: path, line: target.line,
                "`\(target.raw)` is unpinned (any version); smsync changes existing version pins only")
        }
        guard target.versionRange != nil else {
            throw EnvironmentFileError(
                .notEditable, path: path, line: target.line,
                "the version of `\(target.raw)` cannot be located exactly in the file "
                    + "(escapes, a block scalar or a scalar split over lines); edit it by hand")
        }
        return try Self.rewrite(versionText: oldText, to: version, for: target, path: path, memo: memo)
    }

    /// Whether a conda version spec admits every version (`*`, `=*`, `==*`, `* *`): unpinned, written out.
    static func isAnyVersion(_ text: String, manager: PackageManager) -> Bool {
        guard manager == .conda else { return false }
        // Up to three bytes other than spaces and tabs, packed: any other byte (or a fourth) rules out a match.
        var packed: UInt32 = 0
        var count = 0
        for byte in text.utf8 where byte != 0x20 && byte != 0x09 {
            count += 1
            guard count <= 3 else { return false }
            packed = packed << 8 | UInt32(byte)
        }
        let star = UInt32(UInt8(ascii: "*"))
        let equals = UInt32(UInt8(ascii: "="))
        let dot = UInt32(UInt8(ascii: "."))
        switch count {
        case 1: return packed == star
        case 2: return packed == equals << 8 | star
        case 3: return packed == (equals << 16 | equals << 8 | star) || packed == (star << 16 | dot << 8 | star)
        default: return false
        }
    }

    /// Re-reads `newText` and checks that it differs from this file in exactly the `edited` dependencies, each
    /// reading back with its expected version text.
    func proveOnlyChanged(
        _ newText: String, edited: [(dependency: EnvironmentDependency, versionText: String)]
    )
        throws(EnvironmentFileError)
    {
        let firstLine = edited.first?.dependency.line
        let reread: EnvironmentFile
        do {
            reread = try EnvironmentFile(text: newText, path: path)
        } catch {
            throw EnvironmentFileError(
                .editProofFailed, path: path, line: firstLine,
                "the edited file no longer reads (\(error.message)); nothing was changed")
        }
        func fail(_ why: String, line: Int? = firstLine) -> EnvironmentFileError {
            EnvironmentFileError(.editProofFailed, path: path, line: line, "\(why); nothing was changed")
        }
        var expected: [Int: (dependency: EnvironmentDependency, versionText: String)] = [:]
        for target in edited {
            if let start = target.dependency.valueRange?.lowerBound { expected[start] = target }
        }
        // An alias of an edited node (`PY: *python_pin`) is that node: it may change, and only into the new value.
        let editedStarts = Set(edited.compactMap(\.dependency.nodeStart))
        var newRaw: [Int: String] = [:]
        for dependency in reread.dependencies {
            if let start = dependency.nodeStart, editedStarts.contains(start), newRaw[start] == nil {
                newRaw[start] = dependency.raw
            }
        }
        func same(_ before: String?, _ after: String?, start: Int?) -> Bool {
            before == after || (start.flatMap { newRaw[$0] } != nil && after == start.flatMap { newRaw[$0] })
        }
        func sameList(_ before: [String], _ after: [String], starts: [Int?]) -> Bool {
            before.count == after.count
                && before.indices.allSatisfy { same(before[$0], after[$0], start: starts[safe: $0] ?? nil) }
        }
        guard same(name, reread.name, start: nodeStarts.name), same(prefix, reread.prefix, start: nodeStarts.prefix),
            sameList(channels, reread.channels, starts: nodeStarts.channels),
            reread.variables.map(\.key) == variables.map(\.key),
            sameList(variables.map(\.value), reread.variables.map(\.value), starts: nodeStarts.variables),
            reread.otherKeys == otherKeys
        else { throw fail("the edit changed more than the version") }
        guard reread.dependencies.count == dependencies.count else {
            throw fail("the edit changed the number of dependencies")
        }
        // Entry by entry, read in place (a copy of each would retain every string it holds).
        let mismatch: EnvironmentFileError? = dependencies.withUnsafeBufferPointer { before in
            reread.dependencies.withUnsafeBufferPointer { after in
                for index in before.indices {
                    let line = before[index].line
                    guard before[index].manager == after[index].manager, line == after[index].line,
                        before[index].name == after[index].name
                    else { return fail("the edit changed another dependency (line \(line))", line: line) }
                    if let start = before[index].valueRange?.lowerBound, let target = expected[start] {
                        guard after[index].versionText == target.versionText,
                            after[index].channel == before[index].channel
                        else { return fail("the edited dependency reads back as `\(after[index].raw)`", line: line) }
                    } else if before[index].raw != after[index].raw {
                        return fail("the edit changed another dependency (line \(line))", line: line)
                    }
                }
                return nil
            }
        }
        if let mismatch { throw mismatch }
    }

    /// The project name a non-requirement pip line declares with `#egg=NAME`, if any.
    static func eggName(of line: String) -> String? {
        let bytes = Array(line.utf8)
        let marker = Array("egg=".utf8)
        guard bytes.count > marker.count,
            let start = (0...(bytes.count - marker.count)).first(where: {
                bytes[$0..<($0 + marker.count)].elementsEqual(marker)
            })
        else { return nil }
        let name = bytes[(start + marker.count)...].prefix {
            isAlnum($0) || $0 == 0x2D || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
        }
        return name.isEmpty ? nil : String(decoding: name, as: UTF8.self)
    }

    // MARK: - Rules

    /// Letters, digits, `.`, `_`, `-`, starting with a letter, digit or `_` (conda's `_libgcc_mutex`): what conda
    /// and PyPI names may hold.
    public static func isSafePackageName(_ name: String) -> Bool {
        guard let first = name.utf8.first, isAlnum(first) || first == UInt8(ascii: "_"), name.utf8.count <= 200 else {
            return false
        }
        return name.utf8.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == 0x2D }
    }

    /// Letters, digits, `.`, `_`, `-`, `+`, `!`: nothing that could end a YAML scalar or start a comment.
    public static func isSafeVersion(_ version: String) -> Bool {
        guard let first = version.utf8.first, isAlnum(first), version.utf8.count <= 100 else { return false }
        return version.utf8.allSatisfy {
            isAlnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == 0x2D || $0 == UInt8(ascii: "+")
                || $0 == UInt8(ascii: "!")
        }
    }

    private static func isAlnum(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    private static func validate(
        _ version: String, for target: EnvironmentDependency, path: String, memo: DecisionMemo? = nil
    )
        throws(EnvironmentFileError)
    {
        // Dotted whole numbers are versions under both schemes.
        if !isOther(target), VersionDelta.LeadingNumbers.isStrictlyNumeric(version) { return }
        switch target.requirement {
        case .conda:
            if memo?.conda(version) != nil { return }
            do { _ = try CondaVersion(version) } catch {
                throw EnvironmentFileError(.invalidVersion, path: path, line: target.line, error.description)
            }
        case .pip:
            if memo?.pep440(version) != nil { return }
            do { _ = try PEP440Version(version) } catch {
                throw EnvironmentFileError(.invalidVersion, path: path, line: target.line, error.description)
            }
        case .other(let reason):
            throw EnvironmentFileError(
                .notARequirement, path: path, line: target.line,
                "`\(target.raw)` is not a requirement (\(reason)); it is kept as it is")
        }
    }

    /// The operators whose version is the one a pin moves.
    static let movableOperators: Set<String> = ["", "=", "==", "===", "~=", ">="]

    static func rewrite(
        versionText: String, to version: String, for target: EnvironmentDependency, path: String,
        memo: DecisionMemo? = nil
    ) throws(EnvironmentFileError) -> String {
        // A plain `=X` or `==X` pin without a build: the new text is the operator and the version, and it admits
        // the version by construction (the general steps below give the same; a test checks it).
        if target.build == nil, let pinned = ConstraintClause.plainPinVersion(versionText), pinned != versionText {
            let op = versionText.utf8.count - pinned.utf8.count == 2 ? "==" : "="
            let clause = ConstraintClause(op: op, versionRange: op.utf8.count..<versionText.utf8.count)
            if admitsByConstruction(clause, target, false) { return op + version }
        }
        return try rewriteInGeneral(versionText: versionText, to: version, for: target, path: path, memo: memo)
    }

    /// `rewrite` for any spec.
    static func rewriteInGeneral(
        versionText: String, to version: String, for target: EnvironmentDependency, path: String,
        memo: DecisionMemo? = nil
    ) throws(EnvironmentFileError) -> String {
        guard let clauses = ConstraintClause.split(versionText) else {
            let what = versionText.contains("|") ? "an alternative (`|`)" : "a regex or grouped"
            throw EnvironmentFileError(
                .notEditable, path: path, line: target.line,
                "`\(versionText)` in `\(target.raw)` is \(what) spec; edit it by hand")
        }
        let movable = clauses.filter { movableOperators.contains($0.op) }
        guard movable.count <= 1 else {
            throw EnvironmentFileError(
                .notEditable, path: path, line: target.line,
                "`\(versionText)` in `\(target.raw)` has more than one bound to move; edit it by hand")
        }
        var newText = versionText
        if let clause = movable.first {
            var bytes = Array(versionText.utf8)
            var replacement = version
            if clause.wildcard {
                // `==8.*` moved to 9.1.0 is `==9.*`: as many components as the wildcard had.
                let width = bytes[clause.versionRange].split(
                    separator: UInt8(ascii: "."), omittingEmptySubsequences: false
                )
                .count
                let parts = version.split(separator: ".", omittingEmptySubsequences: false)
                if parts.count > width { replacement = parts.prefix(width).joined(separator: ".") }
            }
            bytes.replaceSubrange(clause.versionRange, with: Array(replacement.utf8))
            newText = String(decoding: bytes, as: UTF8.self)
        }
        // The build stays only when the version text does not change or the build is a pattern.
        let keepsBuild = target.build != nil && (newText == versionText || target.build?.contains("*") == true)
        let admitted: Bool
        if clauses.count == 1, let clause = movable.first, Self.admitsByConstruction(clause, target, keepsBuild) {
            admitted = true
        } else if let memo, !isOther(target) {
            let admission = DecisionMemo.Admission(
                manager: target.manager, spec: newText, version: version, hasBuild: keepsBuild)
            admitted = memo.admits(admission) {
                admits(newText, version: version, target: target, hasBuild: keepsBuild)
            }
        } else {
            admitted = admits(newText, version: version, target: target, hasBuild: keepsBuild)
        }
        guard admitted else {
            throw EnvironmentFileError(
                .rangeExcludes, path: path, line: target.line,
                "`\(target.raw)` is a range that \(version) does not fit; widen it by hand")
        }
        return newText
    }

    /// Whether a one-clause spec rewritten to `=V` or `==V` (no wildcard, no build kept) admits V by
    /// construction: conda's `=V` is `V.*` and `==V` is V, pip's `==V` is V, for any V that `validate` accepts.
    /// `admits` gives the same answer (a test checks it over every form of version); this skips parsing the spec.
    static func admitsByConstruction(
        _ clause: ConstraintClause, _ target: EnvironmentDependency, _ keepsBuild: Bool
    )
        -> Bool
    {
        guard !keepsBuild, !clause.wildcard, clause.op == "=" || clause.op == "==" else { return false }
        switch target.requirement {
        case .conda: return true
        case .pip: return clause.op == "=="
        case .other: return false
        }
    }

    private static func isOther(_ target: EnvironmentDependency) -> Bool {
        if case .other = target.requirement { return true }
        return false
    }

    /// Whether `specText`, written as `target`'s version spec, admits `version` under its manager's rules.
    static func admits(
        _ specText: String, version: String, target: EnvironmentDependency, hasBuild: Bool
    ) -> Bool {
        switch target.requirement {
        case .conda:
            // Read as conda's MatchSpec reads it: spaces do not count (`>= 3.8` is `>=3.8`), `==8.*` is `8.*`,
            // `=1.2` is `1.2*`.
            let compact = String(specText.unicodeScalars.filter { $0 != " " && $0 != "\t" })
            let sanitized = CondaMatchSpec.sanitize(compact, hasBuild: hasBuild)
            guard let spec = try? CondaVersionSpec(sanitized), let parsed = try? CondaVersion(version) else {
                return false
            }
            return spec.matches(parsed)
        case .pip:
            guard let spec = try? PEP440SpecifierSet(specText), let parsed = try? PEP440Version(version) else {
                return false
            }
            return spec.contains(parsed, prereleases: true)
        case .other:
            return false
        }
    }
}

/// One `op version` part of an and-only version spec, with the byte range of the bare version
/// (a trailing `.*` or `*` wildcard is outside the range and stays).
struct ConstraintClause: Equatable {
    var op: String
    var versionRange: Range<Int>
    /// Whether a `*` or `.*` wildcard follows the version (`==8.*`).
    var wildcard = false

    private static let operators = ["===", "==", "!=", "~=", ">=", "<=", ">", "<", "="]

    /// The version of a plain pin (`=1.2.3`, `==1.2.3`, `1.2.3`: an optional `=` or `==`, then letters, digits,
    /// `.`, `_`, `+` and `-` only, starting with a digit), read in one pass: `DriftEngine.currentVersion` gives
    /// exactly this for such a spec. Nil for anything else.
    static func plainPinVersion(_ spec: String) -> String? {
        var spec = spec
        return spec.withUTF8 { bytes -> String? in
            var start = 0
            while start < min(2, bytes.count), bytes[start] == UInt8(ascii: "=") { start += 1 }
            guard start < bytes.count, bytes[start] >= 0x30, bytes[start] <= 0x39 else { return nil }
            for index in start..<bytes.count {
                let byte = bytes[index]
                guard
                    (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                        || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "+")
                        || byte == UInt8(ascii: "-")
                else { return nil }
            }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start...]), as: UTF8.self)
        }
    }

    /// Splits `>=1.16,<2` into its clauses; nil for `|` alternatives, parentheses and regex specs.
    static func split(_ text: String) -> [ConstraintClause]? {
        let bytes = Array(text.utf8)
        if bytes.contains(where: {
            $0 == UInt8(ascii: "|") || $0 == UInt8(ascii: "(") || $0 == UInt8(ascii: ")") || $0 == UInt8(ascii: "^")
        }) {
            return nil
        }
        var clauses: [ConstraintClause] = []
        var start = 0
        while start <= bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: ",") { end += 1 }
            var low = start
            while low < end, bytes[low] == 0x20 || bytes[low] == 0x09 { low += 1 }
            var op = ""
            for candidate in operators where bytes[low..<end].starts(with: candidate.utf8) {
                op = candidate
                break
            }
            low += op.utf8.count
            while low < end, bytes[low] == 0x20 || bytes[low] == 0x09 { low += 1 }
            var high = end
            while high > low, bytes[high - 1] == 0x20 || bytes[high - 1] == 0x09 { high -= 1 }
            var wildcard = false
            if high > low, bytes[high - 1] == UInt8(ascii: "*") {
                high -= 1
                wildcard = true
                if high > low, bytes[high - 1] == UInt8(ascii: ".") { high -= 1 }
            }
            guard high > low else { return nil }
            clauses.append(ConstraintClause(op: op, versionRange: low..<high, wildcard: wildcard))
            start = end + 1
        }
        return clauses
    }
}
