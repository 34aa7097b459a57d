/// Turns an env file's `channels:` (and a `channel::pkg` entry's channel) into channel URLs, in priority order, as
/// conda does: `defaults` expands to the configured URLs, `nodefaults` removes them, a bare name (`conda-forge`,
/// `pytorch/label/nightly`) goes under the channel alias, a URL stays as it is.
public struct ChannelResolver: Sendable {
    public var config: AvailabilityConfig

    public init(config: AvailabilityConfig) {
        self.config = config
    }

    /// One channel as a URL; nil for a name that is neither a valid channel name nor an http(s)/file URL.
    public func url(of channel: String) -> [String]? {
        if channel == "defaults" { return config.defaults }
        if channel.contains("://") {
            return AvailabilityConfig.isChannelURL(channel) ? [AvailabilityConfig.trimmed(channel)] : nil
        }
        guard Self.isChannelName(channel) else { return nil }
        return [AvailabilityConfig.trimmed(config.channelAlias) + "/" + channel]
    }

    /// The channels of a file, in priority order: URLs, and the entries that are neither (reported, not used).
    public func channels(of file: EnvironmentFile) -> (urls: [String], invalid: [String]) {
        let listed = file.channels.isEmpty ? ["defaults"] : file.channels
        let noDefaults = listed.contains("nodefaults")
        var urls: [String] = []
        var invalid: [String] = []
        for channel in listed where channel != "nodefaults" {
            if channel == "defaults", noDefaults { continue }
            guard let expanded = url(of: channel) else {
                invalid.append(channel)
                continue
            }
            for url in expanded where !urls.contains(url) { urls.append(url) }
        }
        // conda appends the default channels unless the file says `nodefaults`.
        if !noDefaults {
            for url in config.defaults where !urls.contains(url) { urls.append(url) }
        }
        return (urls, invalid)
    }

    /// The channels one dependency is looked up in: its own (`channel::pkg`) alone, else the file's.
    public func channels(
        for dependency: EnvironmentDependency, in file: EnvironmentFile
    ) -> (
        urls: [String], invalid: [String]
    ) {
        if let channel = dependency.channel {
            guard let urls = url(of: channel) else { return ([], [channel]) }
            return (urls, [])
        }
        return channels(of: file)
    }

    /// The subdirs to look in for a platform-bound dependency: its own (`conda-forge/linux-64::pkg`), or the
    /// configured platforms; always with `noarch`.
    public func subdirs(for dependency: EnvironmentDependency) -> [String] {
        if let subdir = dependency.subdir { return subdir == "noarch" ? ["noarch"] : [subdir, "noarch"] }
        return config.platforms + ["noarch"]
    }

    /// A short name for a channel URL in messages: the part after the alias, the `defaults` URL's last part,
    /// or the URL.
    public func label(of url: String) -> String {
        let alias = AvailabilityConfig.trimmed(config.channelAlias) + "/"
        if url.hasPrefix(alias) { return String(url.dropFirst(alias.count)) }
        return url
    }

    /// `conda-forge`, `pytorch/label/nightly`: letters, digits, `.`, `_`, `-` in `/`-separated parts, none `..`.
    public static func isChannelName(_ name: String) -> Bool {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        return !parts.isEmpty && name.utf8.count <= 200
            && parts.allSatisfy { part in
                !part.isEmpty && part != "." && part != ".."
                    && part.utf8.allSatisfy {
                        (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || (0x30...0x39).contains($0)
                            || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E
                    }
            }
    }
}
