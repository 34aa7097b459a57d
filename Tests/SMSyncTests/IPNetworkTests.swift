import Testing

@testable import SMSync

@Suite("IP networks (http.deny_networks)")
struct IPNetworkTests {
    func network(_ text: String) throws -> IPNetwork { try IPNetwork(parsing: text) }

    @Test func theDefaultsCoverMetadataAddresses() throws {
        let denied = IPNetwork.defaultDenied
        #expect(
            denied.map(\.description) == ["169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128", "100.100.100.200/32"])
        for address in [
            "169.254.169.254", "169.254.170.2", "fe80::1", "fd00:ec2::254", "100.100.100.200",
            "::ffff:169.254.169.254",
        ] {
            let bytes = try #require(IPNetwork.parseAddress(address))
            #expect(IPNetwork.first(in: denied, containing: bytes) != nil, "\(address)")
        }
        for address in ["127.0.0.1", "10.0.0.1", "169.255.0.1", "fd00:ec2::253", "::1", "100.100.100.201"] {
            let bytes = try #require(IPNetwork.parseAddress(address))
            #expect(IPNetwork.first(in: denied, containing: bytes) == nil, "\(address)")
        }
    }

    @Test func prefixesAreApplied() throws {
        let net = try network("10.128.0.0/9")
        #expect(try net.contains(#require(IPNetwork.parseAddress("10.200.1.1"))))
        #expect(try !net.contains(#require(IPNetwork.parseAddress("10.127.255.255"))))
        #expect(try network("0.0.0.0/0").contains(#require(IPNetwork.parseAddress("8.8.8.8"))))
        #expect(try network("127.0.0.2").description == "127.0.0.2/32")
        #expect(try network("[::1]").description == "::1/128")
    }

    @Test(arguments: [
        ("169.254.1.1/16", "did you mean 169.254.0.0/16?"),
        ("169.254.0.0/33", "prefix length must be 0 to 32"),
        ("fe80::/129", "prefix length must be 0 to 128"),
        ("metadata.internal/32", "not an IPv4 or IPv6 address"),
        ("169.254.0.0/", "prefix length"),
        ("", "not an IPv4 or IPv6 address"),
    ])
    func badNetworksAreRefused(text: String, message: String) {
        let error = #expect(throws: IPNetwork.ParseError.self) { try IPNetwork(parsing: text) }
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
    }

    @Test func theConfigurationReadsAndValidatesTheList() throws {
        let base = "envs:\n  dir: envs\nhttp:\n  deny_networks:\n"
        let config = try Configuration(text: base + "    - 127.0.0.2/32\n    - fd00::/8\n", file: "conf/smsync.yml")
        #expect(config.http.denyNetworks.map(\.description) == ["127.0.0.2/32", "fd00::/8"])
        let empty = try Configuration(text: "envs:\n  dir: envs\nhttp:\n  deny_networks: []\n", file: "c.yml")
        #expect(empty.http.denyNetworks.isEmpty)
        let defaults = try Configuration(text: "envs:\n  dir: envs\n", file: "c.yml")
        #expect(defaults.http.denyNetworks == IPNetwork.defaultDenied)
        let error = #expect(throws: ConfigError.self) {
            try Configuration(text: base + "    - 127.0.0.2/32\n    - 169.254.169.254/16\n", file: "conf/smsync.yml")
        }
        #expect(error?.line == 6)
        #expect(error?.keyPath == "http.deny_networks[1]")
        #expect(error?.description.contains("conf/smsync.yml:6") == true)
        #expect(error?.description.contains("169.254.169.254/16") == true, "\(error?.description ?? "")")
    }
}
