/// Which image flavour of sagemaker-distribution to read.
public enum DistributionVariant: String, Sendable, Hashable, CaseIterable {
    case cpu
    case gpu
}

/// The release files of aws/sagemaker-distribution that ``DistributionReader`` understands.
public enum DistributionFileKind: String, Sendable, Hashable {
    /// `RELEASE.md`: `# Release notes: 4.4.1` and a `Package | gpu | cpu` table.
    case releaseNotes = "RELEASE.md"
    /// `CHANGELOG-cpu.md`: `# Change log: 4.4.1 (cpu)` and previous/current/change-type tables.
    case changelog = "CHANGELOG"
    /// `cpu.env.out`: conda's `@EXPLICIT` list of package URLs.
    case explicitEnvironment = "env.out"
}

/// One file given to the distribution reader.
public struct DistributionFile: Sendable, Hashable {
    /// Its path or URL; a `vX.Y.Z` folder or `vX.Y.Z_` file-name prefix in it names the release.
    public var location: String
    public var text: String

    public init(location: String, text: String) {
        self.location = location
        self.text = text
    }
}

/// Reads the release files of one sagemaker-distribution release into one kernel `*` with manager conda.
///
/// Several files of one release combine: packages keep the position of their first mention in the order
/// RELEASE.md, CHANGELOG, env.out; a later file fills in a missing build, channel and subdir; where two
/// files state different versions the more exact one wins (env.out, then RELEASE.md, then CHANGELOG) and
/// a note says so. Files of different releases or variants are refused.
public enum DistributionReader {
    /// What kind of release file `text` is, judged by its content; nil for other files (`cpu.env.in` …).
    public static func classify(_ text: String) -> DistributionFileKind? {
        // The first 50 non-empty lines, found one at a time: the rest of a large file is not split.
        var rest = Substring(text)
        var seen = 0
        while seen < 50, !rest.isEmpty {
            let end = rest.firstIndex(of: "\n") ?? rest.endIndex
            let line = rest[..<end]
            rest = end < rest.endIndex ? rest[rest.index(after: end)...] : rest[rest.endIndex...]
            if line.isEmpty { continue }
            seen += 1
            let trimmed = line.trimmingSpaces
            if trimmed.hasPrefix("#"), trimmed.dropFirst().trimmingSpaces.lowercased().hasPrefix("release notes:") {
                return .releaseNotes
            }
            if trimmed.hasPrefix("#"), trimmed.dropFirst().trimmingSpaces.lowercased().hasPrefix("change log:") {
                return .changelog
            }
            if trimmed == "@EXPLICIT" { return .explicitEnvironment }
        }
        return nil
    }

    /// Reads and combines the files of one release.
    public static func read(
        _ files: [DistributionFile], variant: DistributionVariant = .cpu
    ) throws(UpstreamError) -> UpstreamRelease {
        guard let firstFile = files.first else {
            throw UpstreamError(
                .missingContent, source: .distribution, location: "-",
                message:
                    "no files given; expected RELEASE.md, CHANGELOG-\(variant.rawValue).md or \(variant.rawValue).env.out"
            )
        }
        var classified: [(DistributionFile, DistributionFileKind)] = []
        for file in files {
            guard let kind = classify(file.text) else {
                throw UpstreamError(
                    .missingContent, source: .distribution, location: file.location,
                    message:
                        "not a sagemaker-distribution release file: no \"# Release notes:\" or \"# Change log:\" title and no @EXPLICIT line"
                )
            }
            classified.append((file, kind))
        }
        let order: [DistributionFileKind] = [.releaseNotes, .changelog, .explicitEnvironment]
        classified.sort { (order.firstIndex(of: $0.1) ?? 0) < (order.firstIndex(of: $1.1) ?? 0) }

        var release: (id: String, location: String)?
        func agree(_ id: String?, _ location: String) throws(UpstreamError) {
            guard let id else { return }
            if let known = release, known.id != id {
                throw UpstreamError(
                    .inconsistent, source: .distribution, location: location,
                    message: "belongs to release \(id), but \(known.location) belongs to release \(known.id)")
            }
            if release == nil { release = (id, location) }
        }

        var packages: [UpstreamPackage] = []
        var positions: [String: Int] = [:]
        var origin: [String: (rank: Int, file: String)] = [:]
        var notes: [String] = []
        var summary: [String] = []
        for (file, kind) in classified {
            let rank: Int
            let read: [UpstreamPackage]
            try agree(releaseHint(in: file.location), file.location)
            switch kind {
            case .releaseNotes:
                let notesFile = try readReleaseNotes(file, variant: variant)
                try agree(notesFile.release, file.location)
                read = notesFile.packages
                notes += notesFile.notes
                rank = 2
            case .changelog:
                let changelog = try readChangelog(file, variant: variant)
                try agree(changelog.release, file.location)
                read = changelog.packages
                notes += changelog.notes
                rank = 1
            case .explicitEnvironment:
                try checkVariant(ofFileName: file.location, variant: variant)
                read = try readExplicitEnvironment(file)
                rank = 3
            }
            summary.append("\(fileName(file.location)) (\(read.count) package\(read.count == 1 ? "" : "s"))")
            for package in read {
                let key = package.name.lowercased()
                guard let index = positions[key] else {
                    positions[key] = packages.count
                    packages.append(package)
                    origin[key] = (rank, fileName(file.location))
                    continue
                }
                var merged = packages[index]
                let previous = origin[key] ?? (0, "")
                if merged.version != package.version {
                    let winner = rank > previous.rank ? package.version : merged.version
                    notes.append(
                        "\(package.name): \(previous.file) says \(merged.version), \(fileName(file.location)) says \(package.version); using \(winner)"
                    )
                    if rank > previous.rank {
                        merged.version = package.version
                        merged.build = package.build
                        origin[key] = (rank, fileName(file.location))
                    }
                }
                if merged.version == package.version {
                    merged.build = merged.build ?? package.build
                    merged.channel = merged.channel ?? package.channel
                    merged.subdir = merged.subdir ?? package.subdir
                }
                packages[index] = merged
            }
        }
        guard !packages.isEmpty else {
            let onlyChangelogs = classified.allSatisfy { $0.1 == .changelog }
            throw UpstreamError(
                .missingContent, source: .distribution, location: firstFile.location,
                message: "no packages found for the \(variant.rawValue) variant"
                    + (onlyChangelogs
                        ? " (a change log lists only what changed; give RELEASE.md or \(variant.rawValue).env.out too)"
                        : ""))
        }
        if classified.count > 1 {
            notes.insert(
                "combined \(summary.joined(separator: ", ")); order RELEASE.md, CHANGELOG, env.out; "
                    + "on differing versions env.out wins over RELEASE.md, which wins over CHANGELOG",
                at: 0)
        }
        if release == nil {
            notes.append("no release number found (no RELEASE.md or CHANGELOG title, no vX.Y.Z folder)")
        }
        let python = packages.first { $0.name == "python" }?.version
        return UpstreamRelease(
            kind: .distribution, release: release?.id,
            kernels: [UpstreamKernel(kernel: UpstreamKernel.everyKernel, python: python, packages: packages)],
            notes: notes)
    }

    /// `RELEASE.md`: the release number from the title and the variant column of the package table.
    ///
    /// A row is skipped silently when its variant cell is empty (a package of the other variant only), and
    /// with a note when its name is not a conda package name or its version is `None`: real releases
    /// (v2.7.2, v3.1.2, v3.2.2, v3.3.1) carry a row `@explicit|None|None` that names no package.
    public static func readReleaseNotes(
        _ file: DistributionFile, variant: DistributionVariant
    ) throws(UpstreamError) -> (release: String, packages: [UpstreamPackage], notes: [String]) {
        let release = try title(in: file, prefix: "release notes:", display: "Release notes:").release
        let document = try MarkdownDocument.extract(file.text, source: .distribution, location: file.location)
        guard
            let table = document.tables.first(where: { table in
                table.header.first?.lowercased() == "package"
                    && table.header.contains { $0.lowercased() == variant.rawValue }
            }), let column = table.header.firstIndex(where: { $0.lowercased() == variant.rawValue })
        else {
            throw UpstreamError(
                .missingContent, source: .distribution, location: file.location,
                message: "no \"Package | gpu | cpu\" table with a \(variant.rawValue) column")
        }
        var packages: [UpstreamPackage] = []
        var notes: [String] = []
        for (index, row) in table.rows.enumerated() {
            let name = row[0]
            let version = row[column]
            let line = table.rowLines[index]
            if let reason = junkRowReason(name: name, version: version) {
                notes.append("\(fileName(file.location))\(line.map { " line \($0)" } ?? ""): row skipped, \(reason)")
                continue
            }
            guard !name.isEmpty, !version.isEmpty else { continue }
            try checkVersion(version, file: file, line: line)
            packages.append(UpstreamPackage(name: name, version: version, manager: .conda))
        }
        guard !packages.isEmpty else {
            throw UpstreamError(
                .missingContent, source: .distribution, location: file.location, line: table.line,
                message: "the package table has no \(variant.rawValue) versions")
        }
        return (release, packages, notes)
    }

    /// Why a package-table row names no package (nil for a real row, or one left empty for this variant).
    static func junkRowReason(name: String, version: String) -> String? {
        if name.isEmpty { return version.isEmpty ? nil : "no package name (version \(version.debugDescription))" }
        if !isCondaPackageName(name) { return "\(name.prefix(80).debugDescription) is not a conda package name" }
        if ["none", "null"].contains(version.lowercased()) {
            return "\(name) has no version (\(version.debugDescription))"
        }
        return nil
    }

    /// A conda package name: ASCII letters, digits, `.`, `_`, `-`, starting with a letter, digit or `_`
    /// (`_libgcc_mutex`, `r-base`, `ca-certificates`).
    static func isCondaPackageName(_ name: String) -> Bool {
        if name.utf8.allSatisfy({ $0 < 0x80 }) {
            // ASCII: the same rule on bytes (letters are exactly the alphabetic ASCII scalars).
            func allowed(_ byte: UInt8) -> Bool {
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            }
            guard let first = name.utf8.first, allowed(first), first != UInt8(ascii: "."), first != UInt8(ascii: "-")
            else { return false }
            return name.utf8.allSatisfy(allowed)
        }
        return isCondaPackageNameByScalars(name)
    }

    /// `isCondaPackageName`, scalar by scalar (any text).
    static func isCondaPackageNameByScalars(_ name: String) -> Bool {
        func allowed(_ scalar: Unicode.Scalar) -> Bool {
            scalar.isASCII
                && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                    || "._-".unicodeScalars.contains(scalar))
        }
        guard let first = name.unicodeScalars.first, allowed(first), first != ".", first != "-" else { return false }
        return name.unicodeScalars.allSatisfy(allowed)
    }

    /// `CHANGELOG-cpu.md`: the current version of every changed and new package.
    ///
    /// A release without package changes publishes the title line alone (`# Change log: 3.6.1(cpu)`; 12 of
    /// the first 275 release folders): that reads as no packages and a note, not as a changed layout.
    public static func readChangelog(
        _ file: DistributionFile, variant: DistributionVariant
    ) throws(UpstreamError) -> (release: String, packages: [UpstreamPackage], notes: [String]) {
        let title = try title(in: file, prefix: "change log:", display: "Change log:")
        if let fileVariant = title.qualifier, fileVariant.lowercased() != variant.rawValue {
            throw UpstreamError(
                .inconsistent, source: .distribution, location: file.location, line: title.line,
                message: "this is the \(fileVariant) change log, but the \(variant.rawValue) variant was asked for")
        }
        let document = try MarkdownDocument.extract(file.text, source: .distribution, location: file.location)
        var packages: [UpstreamPackage] = []
        var removed: [String] = []
        var tablesRead = 0
        for table in document.tables {
            let header = table.header.map { $0.lowercased() }
            guard header.first == "package" else { continue }
            let column: Int
            if let current = header.firstIndex(of: "current version") {
                column = current
            } else if header == ["package", "version"] {
                column = 1
            } else if let last = header.firstIndex(of: "last version") {
                tablesRead += 1
                removed += table.rows.map { "\($0[0]) (last \($0[last]))" }
                continue
            } else {
                continue
            }
            tablesRead += 1
            for (index, row) in table.rows.enumerated() where !row[0].isEmpty && !row[column].isEmpty {
                try checkVersion(row[column], file: file, line: table.rowLines[index])
                packages.append(UpstreamPackage(name: row[0], version: row[column], manager: .conda))
            }
        }
        if tablesRead == 0, isTitleOnly(file.text, titleLine: title.line) {
            return (title.release, [], ["\(fileName(file.location)): title only, no package changes in this release"])
        }
        guard tablesRead > 0 else {
            throw UpstreamError(
                .missingContent, source: .distribution, location: file.location,
                message: "no \"Package | Previous Version | Current Version\" or \"Package | Version\" table")
        }
        var notes: [String] = []
        if !removed.isEmpty { notes.append("removed since the previous release: \(removed.joined(separator: ", "))") }
        return (title.release, packages, notes)
    }

    /// Whether every line but the title is blank.
    static func isTitleOnly(_ text: String, titleLine: Int) -> Bool {
        text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().allSatisfy { index, line in
            index + 1 == titleLine || line.trimmingSpaces.isEmpty
        }
    }

    /// `cpu.env.out`: every `@EXPLICIT` URL as name, version, build, channel and subdir.
    public static func readExplicitEnvironment(_ file: DistributionFile) throws(UpstreamError) -> [UpstreamPackage] {
        var packages: [UpstreamPackage] = []
        var explicit = false
        for (index, rawLine) in file.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingSpaces
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line == "@EXPLICIT" {
                explicit = true
                continue
            }
            guard explicit else {
                throw UpstreamError(
                    .malformed, source: .distribution, location: file.location, line: index + 1,
                    message: "package line before the @EXPLICIT marker")
            }
            guard let package = explicitPackage(line) else {
                throw UpstreamError(
                    .malformed, source: .distribution, location: file.location, line: index + 1,
                    message:
                        "not a conda package URL (expected https://…/<channel>/<subdir>/<name>-<version>-<build>.conda or .tar.bz2): \(line.prefix(200))"
                )
            }
            try checkVersion(package.version, file: file, line: index + 1)
            packages.append(package)
        }
        guard explicit else {
            throw UpstreamError(
                .missingContent, source: .distribution, location: file.location, message: "no @EXPLICIT marker")
        }
        guard !packages.isEmpty else {
            throw UpstreamError(
                .missingContent, source: .distribution, location: file.location,
                message: "no package URLs after @EXPLICIT")
        }
        return packages
    }

    /// Splits one `@EXPLICIT` URL: `https://conda.anaconda.org/conda-forge/linux-64/libgcc-16.1.0-ha9f2e26_1.conda#md5`
    /// → libgcc 16.1.0 build ha9f2e26_1, channel conda-forge, subdir linux-64. The file name is split from
    /// the right, since names contain dashes and versions and builds do not.
    public static func explicitPackage(_ line: some StringProtocol) -> UpstreamPackage? {
        var url = Substring(line)
        if let hash = url.firstIndex(of: "#") { url = url[..<hash] }
        guard let scheme = url.firstRange(of: "://"),
            ["https", "http", "file", "s3"].contains(url[..<scheme.lowerBound].lowercased())
        else { return nil }
        let components = url[scheme.upperBound...].split(separator: "/", omittingEmptySubsequences: false)
        guard components.count >= 3, let fileName = components.last else { return nil }
        var stem: Substring
        if fileName.hasSuffix(".conda") {
            stem = fileName.dropLast(6)
        } else if fileName.hasSuffix(".tar.bz2") {
            stem = fileName.dropLast(8)
        } else {
            return nil
        }
        guard let buildDash = stem.lastIndex(of: "-") else { return nil }
        let build = stem[stem.index(after: buildDash)...]
        stem = stem[..<buildDash]
        guard let versionDash = stem.lastIndex(of: "-") else { return nil }
        let version = stem[stem.index(after: versionDash)...]
        let name = stem[..<versionDash]
        guard !name.isEmpty, !version.isEmpty, !build.isEmpty else { return nil }
        let subdir = components[components.count - 2]
        let channelParts = components.dropFirst().dropLast(2)
        let channel = channelParts.isEmpty ? String(components[0]) : channelParts.joined(separator: "/")
        return UpstreamPackage(
            name: String(name), version: String(version), manager: .conda, build: String(build), channel: channel,
            subdir: String(subdir))
    }

    /// `v4.4.1` as a folder name, or a `v4.4.1_` file-name prefix, anywhere in the path → `4.4.1`.
    public static func releaseHint(in location: String) -> String? {
        for component in location.split(separator: "/").reversed() {
            if let match = component.wholeMatch(of: /v(\d+\.\d+\.\d+)(?:_.*)?/) { return String(match.output.1) }
        }
        return nil
    }

    static func checkVariant(ofFileName location: String, variant: DistributionVariant) throws(UpstreamError) {
        let name = fileName(location).lowercased()
        for other in DistributionVariant.allCases where other != variant {
            if name.hasPrefix("\(other.rawValue).") || name.contains("_\(other.rawValue).") {
                throw UpstreamError(
                    .inconsistent, source: .distribution, location: location,
                    message:
                        "this is the \(other.rawValue) environment, but the \(variant.rawValue) variant was asked for")
            }
        }
    }

    static func title(
        in file: DistributionFile, prefix: String, display: String
    ) throws(UpstreamError) -> (release: String, qualifier: String?, line: Int) {
        // Line by line from the top, without splitting the whole file first: the title is near the start.
        for (index, line) in TextLines(file.text).enumerated() {
            let trimmed = line.trimmingSpaces
            guard trimmed.hasPrefix("#") else { continue }
            let heading = trimmed.drop { $0 == "#" }.trimmingSpaces
            guard heading.lowercased().hasPrefix(prefix) else { continue }
            let rest = heading.dropFirst(prefix.count).trimmingSpaces
            guard let match = rest.wholeMatch(of: /v?(\d+(?:\.\d+)+)\s*(?:\((\w+)\))?/) else {
                throw UpstreamError(
                    .malformed, source: .distribution, location: file.location, line: index + 1,
                    message: "title has no release number: \(trimmed.prefix(120))")
            }
            return (String(match.output.1), match.output.2.map(String.init), index + 1)
        }
        throw UpstreamError(
            .missingContent, source: .distribution, location: file.location,
            message: "no \"# \(display) X.Y.Z\" title")
    }

    static func checkVersion(_ version: String, file: DistributionFile, line: Int?) throws(UpstreamError) {
        do {
            _ = try CondaVersion(version)
        } catch {
            throw UpstreamError(
                .malformed, source: .distribution, location: file.location, line: line,
                message: "bad version \(version.debugDescription): \(error.reason)")
        }
    }

    static func fileName(_ location: String) -> String {
        location.split(separator: "/").last.map(String.init) ?? location
    }
}

/// The lines of a text as `split(separator: "\n", omittingEmptySubsequences: false)` gives them, one at a time.
struct TextLines: Sequence, IteratorProtocol {
    private var rest: Substring
    private var done = false

    init(_ text: String) { rest = text[...] }

    mutating func next() -> Substring? {
        guard !done else { return nil }
        guard let newline = rest.firstIndex(of: "\n") else {
            done = true
            return rest
        }
        defer { rest = rest[rest.index(after: newline)...] }
        return rest[..<newline]
    }
}
