import Foundation
import Testing

@testable import SMSyncTestSupport

extension SyncEndToEndTests {
    /// A token in a source URL's path, a webhook URL with `user:password` whose receiver fails and echoes the
    /// request's headers (so the reply holds `"authorization": "Basic …"`): no secret, in any form, reaches
    /// stdout, stderr, `status`, `history`, the state database or its WAL.
    @Test func noSecretReachesOutputStatusHistoryOrTheDatabaseInAnyForm() async throws {
        let world = try await World.make(pullRequests: false)
        let pathToken = "sk_live_5f3Q9x2LmR8vT1bZ7kYpW4nC"
        let hookUser = "smsync"
        let hookPassword = "p@ss/w0rd+Secret"
        let encodedPassword = "p%40ss%2Fw0rd%2BSecret"
        let base = world.server.base
        let scheme = try #require(base.range(of: "://"))
        let hookURL = "\(base[..<scheme.upperBound])\(hookUser):\(encodedPassword)@\(base[scheme.upperBound...])/hook"
        var config = try String(contentsOfFile: world.config, encoding: .utf8)
        config = config.replacingOccurrences(
            of: "url: \(base)/docs/nbi-al2023.html", with: "url: \(base)/t/\(pathToken)/docs/nbi-al2023.html")
        config = config.replacingOccurrences(of: "url: \"\(base)/hook\"", with: "url: \"\(hookURL)\"")
        #expect(config.contains(pathToken) && config.contains(encodedPassword))
        try config.write(toFile: world.config, atomically: true, encoding: .utf8)
        await world.upstream.setEchoHooks(true)
        await world.upstream.setHookStatus(500)

        var outputs: [String] = []
        let first = try await world.sync()
        #expect(first.status == 5, "the echoing receiver fails: \(first.stdout)\n\(first.stderr)")
        outputs += [first.stdout, first.stderr]
        await world.upstream.setHookStatus(200)
        let second = try await world.sync()
        outputs += [second.stdout, second.stderr]
        for command in [
            ["status"], ["history", "--limit", "10"], ["status", "--format", "json"], ["history", "--format", "json"],
        ] {
            let result = try await world.run(command)
            outputs += [result.stdout, result.stderr]
        }

        // The secrets did travel: the receiver saw Basic credentials, the source was read through the token path.
        let hooks = await world.upstream.hooks
        let authorization = try #require(hooks.first?.headers["authorization"])
        #expect(authorization.hasPrefix("Basic "))
        #expect(first.stdout.contains("trigger") || first.stderr.contains("trigger"))

        let secrets = [
            pathToken, hookPassword, "\(hookUser):\(hookPassword)", SyncEndToEndTests.token,
            SyncEndToEndTests.hookSecret,
        ]
        var forms: [String] = [String(authorization.dropFirst("Basic ".count))]
        for secret in secrets {
            forms.append(secret)
            forms.append(Data(secret.utf8).base64EncodedString())
            if let encoded = secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics), encoded != secret {
                forms.append(encoded)
            }
        }
        forms.append(encodedPassword)
        let stored = try world.stateBytes()
        #expect(FileManager.default.fileExists(atPath: world.statePath + "-wal") || stored.count > 0)
        for form in forms {
            #expect(stored.range(of: Data(form.utf8)) == nil, "the state database or its WAL holds \(form)")
            for (index, output) in outputs.enumerated() {
                #expect(!output.contains(form), "output \(index) holds \(form):\n\(output)")
            }
        }
        await world.close()
    }
}
