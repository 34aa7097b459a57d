import Foundation
import SMSync

/// Reads upstream files from disk under the size caps, before any parsing.
public enum UpstreamFiles {
    /// The bytes of one file; refuses files above `maxBytes` by their size, without reading them, and stops
    /// reading within 1 MiB past `maxBytes` (for pipes and files that grow).
    public static func read(_ path: String, source: UpstreamSourceKind, maxBytes: Int) throws(UpstreamError) -> Data {
        let size: Int
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            if attributes[.type] as? FileAttributeType == .typeDirectory {
                throw UpstreamError(.unreadable, source: source, location: path, message: "is a directory, not a file")
            }
            size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        } catch let error as UpstreamError {
            throw error
        } catch {
            throw UpstreamError(
                .unreadable, source: source, location: path, message: "cannot read: \(error.localizedDescription)")
        }
        guard size <= maxBytes else { throw tooLarge(path, source: source, size: size, maxBytes: maxBytes) }
        let data: Data
        do {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw UpstreamError(.unreadable, source: source, location: path, message: "cannot open the file")
            }
            defer { try? handle.close() }
            var collected = Data()
            while collected.count <= maxBytes, let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                collected.append(chunk)
            }
            data = collected
        } catch let error as UpstreamError {
            throw error
        } catch {
            throw UpstreamError(
                .unreadable, source: source, location: path, message: "cannot read: \(error.localizedDescription)")
        }
        guard data.count <= maxBytes else { throw tooLarge(path, source: source, size: data.count, maxBytes: maxBytes) }
        return data
    }

    static func tooLarge(_ path: String, source: UpstreamSourceKind, size: Int, maxBytes: Int) -> UpstreamError {
        UpstreamError(
            .tooLarge, source: source, location: path,
            message: "file is \(size) bytes, above the limit of \(maxBytes) bytes (raise it with --max-bytes)")
    }

    /// Whether `path` is a directory (following a symbolic link given on the command line).
    public static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}

/// How an AWS docs page is written.
public enum AWSDocsFormat: String, Sendable, Hashable, CaseIterable {
    case html
    case markdown

    /// `.html`/`.htm` → HTML, `.md`/`.markdown` → Markdown; otherwise a page that starts with `<` is HTML.
    public static func guess(location: String, bytes: some Collection<UInt8>) -> AWSDocsFormat {
        let lower = location.lowercased()
        if lower.hasSuffix(".html") || lower.hasSuffix(".htm") { return .html }
        if lower.hasSuffix(".md") || lower.hasSuffix(".markdown") { return .markdown }
        let start = bytes.drop { [0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }.first
        return start == UInt8(ascii: "<") ? .html : .markdown
    }
}

/// The upstream readers applied to files on disk: one function per source kind.
public enum UpstreamReaders {
    /// An AWS docs kernel-table page, HTML (through libxml2) or Markdown.
    public static func awsDocs(
        bytes: Data, location: String, format: AWSDocsFormat? = nil, limits: UpstreamLimits = UpstreamLimits()
    ) throws(UpstreamError) -> UpstreamRelease {
        switch format ?? AWSDocsFormat.guess(location: location, bytes: bytes) {
        case .html:
            let document = try HTMLDocument.extract(
                bytes, source: .awsDocs, location: location, maxBytes: limits.maxBytesPerFile)
            return try AWSDocsReader.read(document, location: location)
        case .markdown:
            let text = try UpstreamText.decode(
                bytes, source: .awsDocs, location: location, maxBytes: limits.maxBytesPerFile)
            return try AWSDocsReader.readMarkdown(text, location: location)
        }
    }

    /// One AWS docs page on disk.
    public static func awsDocs(
        path: String, limits: UpstreamLimits = UpstreamLimits()
    ) throws(UpstreamError) -> UpstreamRelease {
        let bytes = try UpstreamFiles.read(path, source: .awsDocs, maxBytes: limits.maxBytesPerFile)
        return try awsDocs(bytes: bytes, location: path, limits: limits)
    }

    /// The sagemaker-python-sdk `CHANGELOG.md` on disk.
    public static func sdkChangelog(
        path: String, limits: UpstreamLimits = UpstreamLimits()
    ) throws(UpstreamError) -> UpstreamRelease {
        let bytes = try UpstreamFiles.read(path, source: .sdkChangelog, maxBytes: limits.maxBytesPerFile)
        let text = try UpstreamText.decode(
            bytes, source: .sdkChangelog, location: path, maxBytes: limits.maxBytesPerFile)
        return try SDKChangelogReader.read(text, location: path)
    }

    /// sagemaker-distribution release files: files, or folders whose release files are read (other files,
    /// such as `cpu.env.in`, and files of the other variant are skipped with a note).
    public static func distribution(
        paths: [String], variant: DistributionVariant = .cpu, limits: UpstreamLimits = UpstreamLimits()
    ) throws(UpstreamError) -> UpstreamRelease {
        var files: [DistributionFile] = []
        var skipped: [String] = []
        for path in paths {
            guard UpstreamFiles.isDirectory(path) else {
                files.append(try distributionFile(path, limits: limits))
                continue
            }
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
            } catch {
                throw UpstreamError(
                    .unreadable, source: .distribution, location: path,
                    message: "cannot list: \(error.localizedDescription)")
            }
            for name in names where !name.hasPrefix(".") {
                let full = (path as NSString).appendingPathComponent(name)
                guard !UpstreamFiles.isDirectory(full) else { continue }
                let lower = name.lowercased()
                let other = DistributionVariant.allCases.filter { $0 != variant }.map(\.rawValue)
                if other.contains(where: {
                    lower.contains("changelog-\($0)") || lower.hasPrefix("\($0).") || lower.contains("_\($0).")
                }) {
                    skipped.append(name)
                    continue
                }
                let file = try distributionFile(full, limits: limits)
                if DistributionReader.classify(file.text) == nil {
                    skipped.append(name)
                } else {
                    files.append(file)
                }
            }
        }
        guard !files.isEmpty else {
            throw UpstreamError(
                .missingContent, source: .distribution, location: paths.joined(separator: ", "),
                message: "no RELEASE.md, CHANGELOG-\(variant.rawValue).md or \(variant.rawValue).env.out found")
        }
        var release = try DistributionReader.read(files, variant: variant)
        if !skipped.isEmpty {
            release.notes.append(
                "skipped files that are not \(variant.rawValue) release files: \(skipped.joined(separator: ", "))")
        }
        return release
    }

    private static func distributionFile(
        _ path: String, limits: UpstreamLimits
    ) throws(UpstreamError) -> DistributionFile {
        let bytes = try UpstreamFiles.read(path, source: .distribution, maxBytes: limits.maxBytesPerFile)
        let text = try UpstreamText.decode(
            bytes, source: .distribution, location: path, maxBytes: limits.maxBytesPerFile)
        return DistributionFile(location: path, text: text)
    }
}
