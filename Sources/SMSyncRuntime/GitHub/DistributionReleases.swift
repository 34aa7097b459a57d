import SMSync

/// The files of the newest sagemaker-distribution release, found through the GitHub contents API.
public struct DistributionReleaseFiles: Sendable {
    /// The release folder, e.g. `build_artifacts/v4/v4.4/v4.4.1`.
    public var folder: String
    /// The release number from the folder name, e.g. `4.4.1`.
    public var version: String
    /// `RELEASE.md`, then `CHANGELOG-<variant>.md` and `<variant>.env.out` when present, with their paths as
    /// locations (so ``DistributionReader/releaseHint(in:)`` finds the release).
    public var files: [DistributionFile]
}

extension GitHubClient {
    /// The newest of `names` by release order (`v4.10` > `v4.9`, `v4.4.1` > `v4.4`), ignoring names that are not
    /// `v` plus dot-separated numbers (`README.md`, `v4.4-rc`, `latest`); nil when none is a version.
    public static func newestReleaseFolder(names: [String]) -> String? {
        var best: (name: String, version: PEP440Version)?
        for name in names {
            let digits = name.hasPrefix("v") ? name.dropFirst() : Substring(name)
            let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
            guard !parts.isEmpty, parts.count <= 6,
                parts.allSatisfy({ !$0.isEmpty && $0.count <= 9 && $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }),
                let version = try? PEP440Version(String(digits))
            else { continue }
            if let current = best {
                let order = PEP440Version.compare(version, current.version)
                // 4.4 and 4.4.0 are equal releases; prefer the longer, more specific name.
                if order > 0 || (order == 0 && name.count > current.name.count) { best = (name, version) }
            } else {
                best = (name, version)
            }
        }
        return best?.name
    }

    /// Finds the newest release of aws/sagemaker-distribution (or a fork) and reads its files.
    ///
    /// `build_artifacts/` holds major folders `v4/`, which hold minor folders `v4.4/`, which hold release folders
    /// `v4.4.1/`. `major` picks the major folder (`v4` or `4`); nil takes the newest. Fails when a level has no
    /// version folder or the release has no `RELEASE.md`, so a changed layout is an error, never an empty release.
    public func latestDistributionRelease(
        repo: String = "aws/sagemaker-distribution", major: String? = nil, variant: DistributionVariant = .cpu,
        ref: String? = nil, maxBytes: Int = 16 << 20
    ) async throws(GitHubError) -> DistributionReleaseFiles {
        var folder = "build_artifacts"
        if let major {
            let name = major.hasPrefix("v") ? major : "v" + major
            guard name.count > 1, name.dropFirst().utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
                throw GitHubError(
                    .invalidInput, endpoint: "(not sent)",
                    message: "\(String(major.prefix(100)).debugDescription) is not a major version folder like `v4`")
            }
            folder += "/" + name
        } else {
            folder += "/" + (try await newestChild(repo: repo, folder: folder, ref: ref))
        }
        folder += "/" + (try await newestChild(repo: repo, folder: folder, ref: ref))
        let releaseName = try await newestChild(repo: repo, folder: folder, ref: ref)
        folder += "/" + releaseName
        let entries = try await listDirectory(repo: repo, path: folder, ref: ref)
        let present = Set(entries.filter { $0.type == "file" }.map(\.name))
        guard present.contains("RELEASE.md") else {
            throw GitHubError(
                .unexpectedResponse, endpoint: "GET /repos/\(repo)/contents/\(folder)",
                message: "the release folder has no RELEASE.md; has the repository layout changed?")
        }
        var files: [DistributionFile] = []
        for name in ["RELEASE.md", "CHANGELOG-\(variant.rawValue).md", "\(variant.rawValue).env.out"]
        where present.contains(name) {
            let path = folder + "/" + name
            let bytes = try await fileContent(repo: repo, path: path, ref: ref, maxBytes: maxBytes)
            files.append(DistributionFile(location: path, text: String(decoding: bytes, as: UTF8.self)))
        }
        return DistributionReleaseFiles(
            folder: folder, version: releaseName.hasPrefix("v") ? String(releaseName.dropFirst()) : releaseName,
            files: files)
    }

    private func newestChild(repo: String, folder: String, ref: String?) async throws(GitHubError) -> String {
        let entries = try await listDirectory(repo: repo, path: folder, ref: ref)
        guard let newest = Self.newestReleaseFolder(names: entries.filter { $0.type == "dir" }.map(\.name)) else {
            throw GitHubError(
                .unexpectedResponse, endpoint: "GET /repos/\(repo)/contents/\(folder)",
                message: "no version folder (vN, vN.N, vN.N.N) in \(folder); has the repository layout changed?")
        }
        return newest
    }
}
