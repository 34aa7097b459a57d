/// `availability:`: whether each proposed update can be installed from the env file's own channels (conda) and
/// the package index (pip), and how to find out.
public struct AvailabilityConfig: Sendable, Hashable {
    /// conda's `channel_priority`.
    public enum ChannelPriority: String, Sendable, Hashable, CaseIterable {
        /// The first channel (in the file's order) that has the package at all decides.
        case strict
        /// Any channel that has the version will do, the first in order preferred.
        case flexible
    }

    /// Credentials for one channel (or every channel under a URL prefix).
    public struct Channel: Sendable, Hashable {
        /// The channel URL, without a trailing `/`.
        public var url: String
        /// The secret (`NAME` or `NAME_FILE`) sent as `Authorization: Bearer <token>` to URLs under `url`.
        public var tokenEnv: String?

        public init(url: String, tokenEnv: String?) {
            self.url = url
            self.tokenEnv = tokenEnv
        }
    }

    public var enabled = false
    /// The platforms the image installs for; every one must have the version (in its subdir or `noarch`).
    public var platforms = ["linux-64"]
    public var channelPriority = ChannelPriority.strict
    /// Where a bare channel name (`conda-forge`) lives: `<channel_alias>/conda-forge`.
    public var channelAlias = "https://conda.anaconda.org"
    /// What `defaults` stands for.
    public var defaults = ["https://repo.anaconda.com/pkgs/main", "https://repo.anaconda.com/pkgs/r"]
    public var channels: [Channel] = []
    /// A PEP 691 simple index (`https://pypi.org/simple`, or `file://` for a local folder of `<project>/index.json`).
    public var pipIndex = "https://pypi.org/simple"
    public var pipIndexTokenEnv: String?
    public var checkConda = true
    public var checkPip = true
    /// The glibc of the image, for `manylinux` wheels (pip accepts `manylinux_X_Y` up to it).
    public var glibc = [2, 34]
    /// Where fetched repodata and index pages are cached; nil for `$XDG_CACHE_HOME/smsync`.
    public var cacheDirectory: String?
    /// At most this many lookups at once.
    public var concurrency = 4

    public init() {}

    /// The secret names the configuration refers to.
    public var secretNames: [String] {
        channels.compactMap(\.tokenEnv) + (pipIndexTokenEnv.map { [$0] } ?? [])
    }

    /// The token secret for a URL: the channel entry with the longest URL prefix of it, or the index's.
    public func tokenEnv(for url: String) -> String? {
        let trimmed = Self.trimmed(url)
        var best: (length: Int, env: String)?
        for channel in channels {
            guard let env = channel.tokenEnv, trimmed == channel.url || trimmed.hasPrefix(channel.url + "/") else {
                continue
            }
            if best == nil || channel.url.count > (best?.length ?? 0) { best = (channel.url.count, env) }
        }
        if let best { return best.env }
        let index = Self.trimmed(pipIndex)
        if let env = pipIndexTokenEnv, trimmed == index || trimmed.hasPrefix(index + "/") { return env }
        return nil
    }

    /// A URL without trailing slashes.
    public static func trimmed(_ url: String) -> String {
        var url = url
        while url.count > 1, url.hasSuffix("/") { url.removeLast() }
        return url
    }

    /// Whether `url` is an `http://`, `https://` or `file://` URL with something after the scheme and no
    /// whitespace, control characters or `..` segments.
    public static func isChannelURL(_ url: String) -> Bool {
        let schemes = ["http://", "https://", "file://"]
        guard let scheme = schemes.first(where: { url.hasPrefix($0) }) else { return false }
        let rest = url.dropFirst(scheme.count)
        guard !rest.isEmpty, rest.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F && $0 != UInt8(ascii: "\\") })
        else { return false }
        return !rest.split(separator: "/").contains("..")
    }

    /// The platforms conda knows that an image can be built for.
    public static let knownPlatforms: Set<String> = [
        "linux-64", "linux-aarch64", "linux-ppc64le", "linux-s390x", "osx-64", "osx-arm64", "win-64",
    ]
}
