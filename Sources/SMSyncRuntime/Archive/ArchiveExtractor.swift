import Foundation

/// Caps on what an archive may unpack to.
public struct ArchiveLimits: Sendable, Hashable {
    /// The sum of the sizes of its regular files.
    public var maxTotalBytes: Int
    /// Entries (files and folders), not counting the stripped top folder.
    public var maxFiles: Int
    /// Bytes of an entry's path below the extraction folder.
    public var maxPathLength: Int

    public init(maxTotalBytes: Int = 512 << 20, maxFiles: Int = 50_000, maxPathLength: Int = 512) {
        self.maxTotalBytes = maxTotalBytes
        self.maxFiles = maxFiles
        self.maxPathLength = maxPathLength
    }
}

/// An archive refused or not extracted. Nothing was left in the extraction folder.
public struct ArchiveError: Error, Sendable, CustomStringConvertible {
    /// Why.
    public enum Code: String, Sendable {
        /// A link, device or other special entry; an absolute path; a `..` or `.` part; a control character.
        case unsafeEntry = "unsafe entry"
        /// Over ``ArchiveLimits/maxTotalBytes``.
        case tooLarge = "too large"
        /// Over ``ArchiveLimits/maxFiles``.
        case tooManyFiles = "too many files"
        /// A path over ``ArchiveLimits/maxPathLength``.
        case pathTooLong = "path too long"
        /// Not a gzip'd tar archive, or not one top folder when one was expected.
        case badArchive = "not a usable archive"
        /// The extraction folder is not usable (not empty, a link, no parent).
        case destination = "bad destination"
        /// `tar` failed or is missing.
        case tool = "tar failed"
    }

    public var code: Code
    /// The extraction folder.
    public var directory: String
    /// The entry at fault, as named in the archive.
    public var entry: String?
    public var message: String

    public init(_ code: Code, directory: String, entry: String? = nil, message: String) {
        self.code = code
        self.directory = directory
        self.entry = entry
        self.message = message
    }

    public var description: String {
        let at = entry.map { " (entry \($0.debugDescription))" } ?? ""
        return "archive for \(directory): \(code.rawValue)\(at): \(message)"
    }
}

/// What was extracted.
public struct ArchiveSummary: Sendable, Hashable {
    public var files: Int
    public var directories: Int
    /// Bytes of regular files.
    public var bytes: Int
    /// The stripped top folder (`aws-amazon-sagemaker-examples-2d519b5`), when one was stripped.
    public var topFolder: String?
}

/// Unpacks gzip'd tar archives (GitHub's repository tarballs) with the system `tar`, after checking every entry.
///
/// Only regular files and folders are accepted: no symbolic or hard links, devices or FIFOs, no absolute paths,
/// no `..` or `.` parts, no control characters; paths, entry count and total size are capped. The listing is
/// checked before anything is written, and the tree is walked again afterwards. Folder names may start with
/// spaces and are kept. On any failure the extraction folder is left empty (or removed when this call made it).
public enum ArchiveExtractor {
    /// Extracts `tarGz` into `directory` (created if missing; must be empty if present). With `stripTopFolder`,
    /// every entry must sit under one top folder, which is removed (`--strip-components=1`).
    ///
    /// The archive is written to a temporary file beside `directory` and removed afterwards.
    @discardableResult
    public static func extract(
        tarGz: [UInt8], into directory: String, limits: ArchiveLimits = ArchiveLimits(), stripTopFolder: Bool = true,
        timeout: Double = 600
    ) async throws(ArchiveError) -> ArchiveSummary {
        let target = absolute(directory)
        let parent = (target as NSString).deletingLastPathComponent
        func fail(_ code: ArchiveError.Code, _ entry: String? = nil, _ message: String) -> ArchiveError {
            ArchiveError(code, directory: directory, entry: entry, message: message)
        }
        guard kind(of: parent) == S_IFDIR else {
            throw fail(.destination, nil, "the parent folder \(parent) does not exist")
        }
        var createdHere = false
        switch kind(of: target) {
        case nil:
            guard mkdir(target, 0o755) == 0 else {
                throw fail(.destination, nil, "cannot create the folder: \(String(cString: strerror(errno)))")
            }
            createdHere = true
        case S_IFDIR:
            let existing = (try? FileManager.default.contentsOfDirectory(atPath: target)) ?? ["?"]
            guard existing.isEmpty else { throw fail(.destination, nil, "the folder exists and is not empty") }
        default:
            throw fail(.destination, nil, "exists and is not a folder (or is a link)")
        }
        var succeeded = false
        defer {
            if !succeeded { clear(target, remove: createdHere) }
        }

        let temp = parent + "/.smsync-archive-\(UUID().uuidString).tar.gz"
        do {
            try Data(tarGz).write(to: URL(fileURLWithPath: temp), options: .withoutOverwriting)
        } catch {
            throw fail(.destination, nil, "cannot write the temporary archive \(temp): \(error.localizedDescription)")
        }
        defer { unlink(temp) }

        try await checkDecodedSize(temp, limits: limits, timeout: timeout, fail: fail)
        let (entries, warning) = try await list(temp, limits: limits, timeout: timeout, fail: fail)
        let plan = try check(entries, limits: limits, stripTopFolder: stripTopFolder, fail: fail)
        if let warning { throw fail(.unsafeEntry, nil, "tar reports unsafe member names: \(warning)") }

        var arguments = ["tar", "-xzf", temp, "-C", target, "--no-same-owner", "--no-same-permissions"]
        if stripTopFolder { arguments.append("--strip-components=1") }
        let output: ProcessRunner.Output
        do {
            output = try await ProcessRunner.run(
                arguments, environment: toolEnvironment, outputLimit: 64 << 10, timeout: timeout)
        } catch {
            throw fail(.tool, nil, "\(error.message) \(error.output.suffix(500))")
        }
        guard output.status == 0 else {
            throw fail(.tool, nil, "tar exited with status \(output.status): \(output.stderr.suffix(500))")
        }
        var summary = try walk(target, limits: limits, fail: fail)
        summary.topFolder = plan
        succeeded = true
        return summary
    }

    // MARK: listing

    struct Entry {
        var name: String
        var type: Character
        var size: Int
    }

    static var toolEnvironment: [String: String] {
        ["LC_ALL": "C", "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
    }

    /// Decompresses the archive once with `gzip -dc`, counting bytes, and stops (ending `gzip`) as soon
    /// as the tar stream passes what ``ArchiveLimits/maxTotalBytes`` of files can take: their bytes plus a
    /// header and padding of at most 1,536 bytes per entry (a long-name header, the header, the padding).
    /// A small archive that expands to gigabytes is refused after reading about the cap, not the whole.
    static func checkDecodedSize(
        _ archive: String, limits: ArchiveLimits, timeout: Double,
        fail: (ArchiveError.Code, String?, String) -> ArchiveError
    ) async throws(ArchiveError) {
        let entries = min(max(limits.maxFiles, 0), 1 << 24) + 2
        let overhead = entries * (1536 + min(max(limits.maxPathLength, 0), 1 << 16)) + 10_240
        let (allowed, overflow) = max(limits.maxTotalBytes, 0).addingReportingOverflow(overhead)
        guard !overflow else { return }
        let output: ProcessRunner.Output
        do {
            output = try await ProcessRunner.run(
                ["gzip", "-dc", "--", archive], environment: toolEnvironment, outputLimit: 0, timeout: timeout,
                stopAfterOutput: allowed)
        } catch {
            throw fail(.tool, nil, "gzip -dc: \(error.message)")
        }
        if output.stopped || output.stdoutBytes > allowed {
            throw fail(
                .tooLarge, nil,
                "decompresses to more than \(allowed) bytes, past the cap of \(limits.maxTotalBytes) bytes of files")
        }
    }

    /// Lists the archive twice (names, then types and sizes) and pairs the lines; also returns tar's warning
    /// about member names it would rewrite, if any.
    static func list(
        _ archive: String, limits: ArchiveLimits, timeout: Double,
        fail: (ArchiveError.Code, String?, String) -> ArchiveError
    ) async throws(ArchiveError) -> (entries: [Entry], warning: String?) {
        // An escaped name takes at most 4 bytes per byte; a verbose line adds mode, owner, size and date.
        let perLine = min(max(limits.maxPathLength, 1), 1 << 16) * 4 + 256
        let cap = min((min(max(limits.maxFiles, 0), 1 << 24) + 2) * perLine, 512 << 20)
        var warning: String?
        func run(_ flags: String) async throws(ArchiveError) -> [Substring] {
            let output: ProcessRunner.Output
            do {
                output = try await ProcessRunner.run(
                    ["tar", "--quoting-style=escape", flags, archive], environment: toolEnvironment, outputLimit: cap,
                    timeout: timeout)
            } catch {
                throw fail(.tool, nil, "\(error.message) \(error.output.suffix(500))")
            }
            guard output.status == 0 else {
                throw fail(
                    .badArchive, nil,
                    "tar cannot read it as a gzip'd tar archive: \(output.stderr.suffix(300).trimmingCharacters(in: .whitespacesAndNewlines))"
                )
            }
            // GNU tar warns when it would rewrite a member name (`Removing leading '../'`).
            if output.stderr.contains("Removing leading") || output.stderr.contains("Substituting") {
                warning = output.stderr.prefix(300).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            guard output.stdout.utf8.count < cap else {
                throw fail(.tooManyFiles, nil, "the listing is longer than \(limits.maxFiles) entries allow")
            }
            var lines = output.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            if lines.last == "" { lines.removeLast() }
            guard lines.count - 1 <= limits.maxFiles else {
                throw fail(.tooManyFiles, nil, "more than \(limits.maxFiles) entries")
            }
            return lines
        }
        let names = try await run("-tzf")
        let details = try await run("-tvzf")
        guard names.count == details.count else {
            throw fail(.badArchive, nil, "the two listings of the archive disagree")
        }
        var entries: [Entry] = []
        entries.reserveCapacity(names.count)
        for (escaped, detail) in zip(names, details) {
            let name = unescape(escaped)
            guard let type = detail.first else { throw fail(.badArchive, name, "an empty listing line") }
            var size = 0
            if type == "-" {
                let fields = detail.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
                guard fields.count >= 3, let parsed = Int(fields[2]), parsed >= 0 else {
                    throw fail(.badArchive, name, "cannot read its size from \(String(detail.prefix(200)))")
                }
                size = parsed
            }
            entries.append(Entry(name: name, type: type, size: size))
        }
        return (entries, warning)
    }

    /// Checks every entry; returns the top folder when stripping.
    static func check(
        _ entries: [Entry], limits: ArchiveLimits, stripTopFolder: Bool,
        fail: (ArchiveError.Code, String?, String) -> ArchiveError
    ) throws(ArchiveError) -> String? {
        guard !entries.isEmpty else { throw fail(.badArchive, nil, "the archive is empty") }
        var top: String?
        var count = 0
        var total = 0
        for entry in entries {
            let name = entry.name
            switch entry.type {
            case "-", "d": break
            case "l": throw fail(.unsafeEntry, name, "symbolic links are not accepted")
            case "h": throw fail(.unsafeEntry, name, "hard links are not accepted")
            default: throw fail(.unsafeEntry, name, "only regular files and folders are accepted (type \(entry.type))")
            }
            guard !name.hasPrefix("/") else { throw fail(.unsafeEntry, name, "absolute paths are not accepted") }
            guard !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                throw fail(.unsafeEntry, name, "control characters in names are not accepted")
            }
            var parts = name.split(separator: "/", omittingEmptySubsequences: true)
            guard !parts.contains(where: { $0 == ".." || $0 == "." }) else {
                throw fail(.unsafeEntry, name, "`..` and `.` path parts are not accepted")
            }
            guard let first = parts.first else { throw fail(.unsafeEntry, name, "an empty path") }
            if stripTopFolder {
                if let top, top != first {
                    throw fail(.badArchive, name, "expected every entry under one top folder \(top.debugDescription)")
                }
                top = String(first)
                parts.removeFirst()
                if parts.isEmpty {
                    guard entry.type == "d" else {
                        throw fail(.badArchive, name, "a file at the top level, where one folder was expected")
                    }
                    continue
                }
            }
            let relative = parts.joined(separator: "/")
            guard relative.utf8.count <= limits.maxPathLength, parts.allSatisfy({ $0.utf8.count <= 255 }) else {
                throw fail(.pathTooLong, name, "longer than \(limits.maxPathLength) bytes (or a part over 255)")
            }
            count += 1
            guard count <= limits.maxFiles else {
                throw fail(.tooManyFiles, name, "more than \(limits.maxFiles) entries")
            }
            let (sum, overflow) = total.addingReportingOverflow(entry.size)
            total = sum
            guard !overflow, total <= limits.maxTotalBytes else {
                throw fail(.tooLarge, name, "unpacks to more than \(limits.maxTotalBytes) bytes")
            }
        }
        return top
    }

    /// Reverses GNU tar's `escape` quoting: `\\`, `\n`, `\t` …, and `\ooo` octal bytes.
    static func unescape(_ text: Substring) -> String {
        guard text.contains("\\") else { return String(text) }
        var bytes: [UInt8] = []
        let source = Array(text.utf8)
        var index = 0
        while index < source.count {
            let byte = source[index]
            index += 1
            guard byte == 0x5C, index < source.count else {
                bytes.append(byte)
                continue
            }
            let next = source[index]
            if (0x30...0x37).contains(next) {
                var value = 0
                var digits = 0
                while digits < 3, index < source.count, (0x30...0x37).contains(source[index]) {
                    value = value * 8 + Int(source[index] - 0x30)
                    index += 1
                    digits += 1
                }
                bytes.append(UInt8(truncatingIfNeeded: value))
                continue
            }
            index += 1
            switch next {
            case UInt8(ascii: "a"): bytes.append(0x07)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "v"): bytes.append(0x0B)
            default: bytes.append(next)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: after extraction

    /// Walks the extracted tree without following links: only files and folders, within the caps. Makes every
    /// folder writable and searchable by its owner, so the tree can be replaced or removed later.
    static func walk(
        _ root: String, limits: ArchiveLimits, fail: (ArchiveError.Code, String?, String) -> ArchiveError
    ) throws(ArchiveError) -> ArchiveSummary {
        var summary = ArchiveSummary(files: 0, directories: 0, bytes: 0, topFolder: nil)
        var pending = [root]
        while let folder = pending.popLast() {
            var info = stat()
            if lstat(folder, &info) == 0, info.st_mode & 0o700 != 0o700 {
                chmod(folder, (info.st_mode & 0o7777) | 0o700)
            }
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
                throw fail(.tool, folder, "cannot list an extracted folder")
            }
            for name in names {
                let path = folder + "/" + name
                guard lstat(path, &info) == 0 else { throw fail(.tool, path, "cannot stat an extracted entry") }
                switch info.st_mode & S_IFMT {
                case S_IFDIR:
                    summary.directories += 1
                    pending.append(path)
                case S_IFREG:
                    summary.files += 1
                    summary.bytes = summary.bytes.addingReportingOverflow(Int(info.st_size)).partialValue
                    if info.st_mode & 0o600 != 0o600 { chmod(path, (info.st_mode & 0o7777) | 0o600) }
                default:
                    throw fail(.unsafeEntry, path, "extraction produced something other than a file or folder")
                }
                guard summary.files + summary.directories <= limits.maxFiles else {
                    throw fail(.tooManyFiles, nil, "more than \(limits.maxFiles) entries after extraction")
                }
                guard summary.bytes <= limits.maxTotalBytes else {
                    throw fail(.tooLarge, nil, "more than \(limits.maxTotalBytes) bytes after extraction")
                }
            }
        }
        return summary
    }

    // MARK: files

    static func absolute(_ path: String) -> String {
        var result = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        while result.count > 1, result.hasSuffix("/") { result.removeLast() }
        return result
    }

    static func kind(of path: String) -> mode_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : nil
    }

    /// Empties `folder` (making folders writable first) and removes it when `remove`.
    static func clear(_ folder: String, remove: Bool) {
        var pending = [folder]
        while let current = pending.popLast() {
            if current != folder { chmod(current, 0o700) }
            for name in (try? FileManager.default.contentsOfDirectory(atPath: current)) ?? [] {
                let path = current + "/" + name
                if kind(of: path) == S_IFDIR { pending.append(path) }
            }
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            try? FileManager.default.removeItem(atPath: folder + "/" + name)
        }
        if remove { rmdir(folder) }
    }
}
