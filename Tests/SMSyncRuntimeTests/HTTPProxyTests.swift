import Foundation
import Testing

@testable import SMSyncRuntime

/// libcurl (under URLSession) reads `http_proxy`, `https_proxy` and `no_proxy` from the process
/// environment for every transfer, so these tests set them with `setenv` in this process.
///
/// Other suites run at the same time and talk to `127.0.0.1` (and `127.0.0.2`, the deny-network tests):
/// `no_proxy` always lists both while a proxy is set, so their requests never go through the proxy. The host that proves the
/// proxy and `no_proxy` work here is `localhost` (and unresolvable `.invalid` names), which no other
/// suite uses. `.serialized` keeps the tests of this suite from changing the variables under each other.
@Suite("HTTP proxies from the environment", .serialized)
struct HTTPProxyTests {
    /// Runs `body` with the variables set, then restores the previous values.
    func withEnvironment(_ values: [String: String], _ body: () async throws -> Void) async throws {
        var values = values
        if let noProxy = values["no_proxy"] { values["no_proxy"] = noProxy + ",127.0.0.2" }
        let names = ["no_proxy", "http_proxy", "https_proxy"]
        let saved = names.map { name in (name, getenv(name).map { String(cString: $0) }) }
        // no_proxy first, so that 127.0.0.1 is never proxied, even for a moment.
        for name in names {
            if let value = values[name] { setenv(name, value, 1) } else { unsetenv(name) }
        }
        defer {
            for (name, value) in saved.reversed() {
                if let value { setenv(name, value, 1) } else { unsetenv(name) }
            }
        }
        try await body()
    }

    func client() -> HTTPClient {
        HTTPClient(policy: testPolicy(timeout: 30, retries: 0), transport: URLSessionTransport())
    }

    @Test func httpRequestsGoThroughHTTPProxy() async throws {
        let proxy = try await LoopbackServer.start()
        await proxy.route("GET", "/nbi-al2023.html") { request in .text("via proxy: \(request.target)") }
        try await withEnvironment(["no_proxy": "127.0.0.1", "http_proxy": "http://127.0.0.1:\(proxy.port)"]) {
            let url = try #require(URL(string: "http://docs.example.invalid/nbi-al2023.html"))
            let response = try await client().fetch(HTTPRequest(url: url))
            #expect(response.text == "via proxy: http://docs.example.invalid/nbi-al2023.html")
        }
        let seen = try #require(await proxy.requests("/nbi-al2023.html").first)
        // A forward proxy receives the absolute URI and the origin's Host.
        #expect(seen.target == "http://docs.example.invalid/nbi-al2023.html")
        #expect(seen.header("host") == "docs.example.invalid")
        #expect(seen.header("user-agent") == "smsync/9.9.9-test")
        await proxy.stop()
    }

    @Test func noProxyBypassesTheProxy() async throws {
        let proxy = try await LoopbackServer.start()
        let origin = try await LoopbackServer.start()
        await proxy.route("GET", "/page") { _ in .text("from the proxy") }
        await origin.resource("/page", text: "from the origin")
        let url = try #require(URL(string: "http://localhost:\(origin.port)/page"))
        let proxyURL = "http://127.0.0.1:\(proxy.port)"
        // localhost not listed: proxied.
        try await withEnvironment(["no_proxy": "127.0.0.1", "http_proxy": proxyURL]) {
            let response = try await client().fetch(HTTPRequest(url: url))
            #expect(response.text == "from the proxy")
        }
        #expect(await proxy.requests("/page").first?.target == "http://localhost:\(origin.port)/page")
        #expect(await origin.requests("/page").isEmpty)
        // localhost listed: straight to the origin.
        try await withEnvironment(["no_proxy": "127.0.0.1,localhost", "http_proxy": proxyURL]) {
            let response = try await client().fetch(HTTPRequest(url: url))
            #expect(response.text == "from the origin")
        }
        #expect(await proxy.requests("/page").count == 1)
        #expect(await origin.requests("/page").count == 1)
        await proxy.stop()
        await origin.stop()
    }

    @Test func httpsRequestsTunnelThroughHTTPSProxy() async throws {
        let proxy = try await LoopbackServer.start()
        try await withEnvironment(["no_proxy": "127.0.0.1", "https_proxy": "http://127.0.0.1:\(proxy.port)"]) {
            let url = try #require(URL(string: "https://api.example.invalid/repos/o/r"))
            // The stub refuses the tunnel, so the fetch fails, but only after asking the proxy.
            let error = await #expect(throws: HTTPError.self) { try await client().fetch(HTTPRequest(url: url)) }
            #expect(error?.kind == .connection)
        }
        let connects = await proxy.requests().filter { $0.method == "CONNECT" }
        #expect(connects.first?.target == "api.example.invalid:443")
        await proxy.stop()
    }
}
