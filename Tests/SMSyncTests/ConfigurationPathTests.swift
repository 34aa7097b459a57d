import Foundation
import Testing

@testable import SMSync

/// Paths in `smsync.yml`: relative to the configuration's folder, absolute as given, `~/` in the home folder.
@Suite("Configuration paths")
struct ConfigurationPathTests {
    @Test func aLeadingTildeIsTheHomeFolder() throws {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        let folder = home.hasSuffix("/") && home.count > 1 ? String(home.dropLast()) : home
        let config = try Configuration(
            text: "envs:\n  dir: ~/envs\nstate: ~/smsync/state.db\navailability:\n  cache_dir: ~/cache\n",
            file: "conf/smsync.yml")
        #expect(config.envsDirectory == folder + "/envs")
        #expect(config.statePath == folder + "/smsync/state.db")
        #expect(config.availability.cacheDirectory == folder + "/cache")
        // Not a home folder: `~user`, a `~` inside a name, and relative paths stay beside the configuration.
        #expect(Configuration.resolve("~other/x", against: "conf") == "conf/~other/x")
        #expect(Configuration.resolve("a~/x", against: "conf") == "conf/a~/x")
        #expect(Configuration.resolve("envs", against: "conf") == "conf/envs")
    }
}
