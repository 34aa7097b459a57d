/// Reads the `CHANGELOG.md` of aws/sagemaker-python-sdk: the newest `## vX.Y.Z (YYYY-MM-DD)` heading
/// becomes the pip package `sagemaker` for every kernel (`*`), published on that date.
///
/// The changelog is written newest first, so the first version heading is the newest. A heading without a
/// date gives a release without `published` (and a note); an impossible date is an error.
public enum SDKChangelogReader {
    /// The package the SDK installs as.
    public static let packageName = "sagemaker"

    /// Reads the change log text; `location` names the file or URL in errors.
    public static func read(_ text: String, location: String) throws(UpstreamError) -> UpstreamRelease {
        var newest: (version: String, date: UpstreamDate?, line: Int)?
        var headings = 0
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingSpaces
            guard line.hasPrefix("## "), let heading = parseHeading(line) else { continue }
            headings += 1
            if headings > 1 { break }
            guard let dateText = heading.date else {
                newest = (heading.version, nil, index + 1)
                continue
            }
            guard let date = UpstreamDate(iso: dateText) else {
                throw UpstreamError(
                    .malformed, source: .sdkChangelog, location: location, line: index + 1,
                    message: "version heading has an impossible date \(dateText.debugDescription) (expected YYYY-MM-DD)"
                )
            }
            newest = (heading.version, date, index + 1)
        }
        guard let newest else {
            throw UpstreamError(
                .missingContent, source: .sdkChangelog, location: location,
                message: "no version heading \"## vX.Y.Z (YYYY-MM-DD)\" found")
        }
        do {
            _ = try PEP440Version(newest.version)
        } catch {
            throw UpstreamError(
                .malformed, source: .sdkChangelog, location: location, line: newest.line,
                message: "bad version \(newest.version.debugDescription): \(error.reason)")
        }
        var notes: [String] = []
        if newest.date == nil { notes.append("the newest heading (line \(newest.line)) has no date") }
        return UpstreamRelease(
            kind: .sdkChangelog, release: newest.version, published: newest.date,
            kernels: [
                UpstreamKernel(
                    kernel: UpstreamKernel.everyKernel,
                    packages: [UpstreamPackage(name: packageName, version: newest.version, manager: .pip)])
            ],
            notes: notes)
    }

    /// `## v2.212.0 (2024-03-06)` → ("2.212.0", "2024-03-06"); `## v1.2.3` → ("1.2.3", nil); other headings → nil.
    static func parseHeading(_ line: Substring) -> (version: String, date: Substring?)? {
        guard line.hasPrefix("##"), line.dropFirst(2).first?.isWhitespace == true else { return nil }
        var rest = line.dropFirst(2).trimmingSpaces
        if rest.first == "v" { rest = rest.dropFirst() }
        let version = rest.prefix { !$0.isWhitespace && $0 != "(" }
        let components = version.split(separator: ".", omittingEmptySubsequences: false)
        guard components.count >= 2, let major = components.first, !major.isEmpty, major.allSatisfy(\.isASCIIDigit),
            components[1].first?.isASCIIDigit == true,
            version.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".+-".contains($0)) }),
            version.last.map({ $0.isLetter || $0.isNumber }) == true
        else { return nil }
        rest = rest.dropFirst(version.count).trimmingSpaces
        guard !rest.isEmpty else { return (String(version), nil) }
        guard rest.first == "(", rest.last == ")" else { return nil }
        return (String(version), rest.dropFirst().dropLast().trimmingSpaces)
    }
}
