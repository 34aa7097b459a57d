import Foundation
import SMSync
import Testing

@testable import SMSyncRuntime

/// `http.deny_networks`, tried only with loopback aliases in the list: no packet ever goes to a real
/// link-local or metadata address.
@Suite("HTTP deny networks (loopback aliases only)")
struct HTTPDenyNetworkTests {
    static let alias = [(try? IPNetwork(parsing: "127.0.0.2/32"))].compactMap { $0 }

    func client(deny: [IPNetwork], retries: Int = 2) -> HTTPClient {
        // Generous timeouts: a loaded machine must not turn a refusal or a libcurl error into a timeout.
        var policy = testPolicy(timeout: 60, connectTimeout: 30, retries: retries)
        policy.denyNetworks = deny
        return HTTPClient(
            policy: policy, transport: URLSessionTransport(), sleep: { _ in }, random: { $0.upperBound },
            now: { fixedNow })
    }

    @Test func aRedirectIntoADeniedNetworkIsRefusedBeforeConnecting() async throws {
        let source = try await LoopbackServer.start()
        let inside = try await LoopbackServer.start(ip4: "127.0.0.2")
        await inside.resource("/latest/meta-data/iam/security-credentials", text: "role-secret")
        let target = inside.url("/latest/meta-data/iam/security-credentials").absoluteString
        await source.script("GET", "/nbi-al2023.html", [.status(302, headers: ["Location": target])])

        // Control: without the list, the redirect is followed (so the refusal below is the guard's doing).
        let open = try await client(deny: []).fetch(HTTPRequest(url: source.url("/nbi-al2023.html")))
        #expect(open.text == "role-secret")
        await inside.clearLog()

        let guarded = client(deny: Self.alias)
        let error = await #expect(throws: HTTPError.self) {
            try await guarded.fetch(HTTPRequest(url: source.url("/nbi-al2023.html")))
        }
        #expect(error?.kind == .deniedAddress)
        #expect(error?.attempts == 1)
        #expect(error?.message.contains("127.0.0.2") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("127.0.0.2/32") == true)
        #expect(await inside.requests().isEmpty, "the denied server was contacted")
        await source.stop()
        await inside.stop()
    }

    @Test func aDirectRequestToADeniedAddressSendsNothing() async throws {
        let inside = try await LoopbackServer.start(ip4: "127.0.0.2")
        await inside.resource("/x", text: "x")
        let error = await #expect(throws: HTTPError.self) {
            try await client(deny: Self.alias).fetch(HTTPRequest(url: inside.url("/x")))
        }
        #expect(error?.kind == .deniedAddress)
        #expect(error?.description.contains("the address 127.0.0.2 is in `http.deny_networks`") == true)
        #expect(await inside.requests().isEmpty)
        // Another loopback address is not in the list.
        let outside = try await LoopbackServer.start()
        await outside.resource("/x", text: "fine")
        #expect(try await client(deny: Self.alias).fetch(HTTPRequest(url: outside.url("/x"))).text == "fine")
        await inside.stop()
        await outside.stop()
    }

    @Test func aHostNameIsCheckedByWhatItResolvesTo() async throws {
        let loopback = try #require(try? IPNetwork(parsing: "127.0.0.0/8"))
        let problem = AddressGuard.violation(try #require(URL(string: "http://localhost:1/")), [loopback])
        #expect(problem?.contains("localhost resolves to 127.") == true, "\(problem ?? "nil")")
    }

    @Test func aHugeResponseHeaderIsNamedNotANumber() async throws {
        let server = try await LoopbackServer.start()
        let huge = String(repeating: "a", count: 300_000)
        await server.script("GET", "/huge-header", [.init(status: 200, headers: ["X-Padding": huge], body: [])])
        let error = await #expect(throws: HTTPError.self) {
            try await client(deny: [], retries: 0).fetch(HTTPRequest(url: server.url("/huge-header")))
        }
        print("huge header: \(error?.message ?? "nil")")
        #expect(error?.message.contains("libcurl says \"Out of memory\"") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("header") == true)
        await server.stop()
    }
}
