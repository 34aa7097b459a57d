import Foundation
import SMSyncRuntime
import Testing

@Suite("Redaction of stored text")
struct StateRedactorTests {
    @Test(arguments: [
        (
            "GET https://api.github.com/repos/o/r failed: Authorization: Bearer abc.def-123",
            "GET https://api.github.com/repos/o/r failed: Authorization: [redacted]"
        ),
        ("sent header Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig9", "sent header Bearer [redacted]"),
        ("curl -H 'token 0123456789abcdef0123456789abcdef01234567'", "curl -H 'token [redacted]'"),
        ("push failed for ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "push failed for [redacted]"),
        ("token=github_pat_11ABCDEFG0_abcdefghijklmnopqrstuvwxyz is bad", "token=[redacted] is bad"),
        ("ghs_0123456789abcdefABCD in a URL", "[redacted] in a URL"),
        ("clone https://x-access-token:s3cr3t@github.com/o/r.git", "clone https://[redacted]@github.com/o/r.git"),
        (
            "https://b.s3.amazonaws.com/f.yml?X-Amz-Credential=AKIA/x&X-Amz-Expires=60&X-Amz-Signature=ff00",
            "https://b.s3.amazonaws.com/f.yml?X-Amz-Credential=[redacted]&X-Amz-Expires=60&X-Amz-Signature=[redacted]"
        ),
        ("https://h/p?access_token=abc&page=2", "https://h/p?access_token=[redacted]&page=2"),
    ])
    func redactsCredentials(input: String, expected: String) {
        #expect(Redactor.patterns.redact(input) == expected)
    }

    @Test(arguments: [
        "the token expired; set GITHUB_TOKEN again",
        "HTTP 404 from https://raw.example/CHANGELOG.md?ref=main",
        "Bearer authentication is required",
        "numpy 1.26.4 → 2.0.0 is a major change",
        "git@github.com:o/r.git",
    ])
    func leavesOrdinaryTextAlone(text: String) {
        #expect(Redactor.patterns.redact(text) == text)
    }

    @Test func redactsLiteralSecretsEvenWithoutAPattern() {
        let redactor = Redactor(secrets: ["hunter2-plain", "ab"])
        #expect(redactor.redact("webhook said: bad secret hunter2-plain") == "webhook said: bad secret [redacted]")
        #expect(redactor.redact("ab stays, too short to be a secret") == "ab stays, too short to be a secret")
    }

    @Test func theDatabaseNeverHoldsATokenThatWasPassedInMessages() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let token = "ghp_ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210"
        let plain = "plain-webhook-secret-value"
        let unused = "never-passed-anywhere-7f3c9a"
        do {
            let store = try StateStore(path: folder.databasePath, secrets: [plain])
            let run = try store.beginRun(startedAt: instant(), pid: 1, host: "h", dryRun: false)
            try store.recordSourceResult(
                runID: run, source: "distribution", ok: false,
                message: "GitHub API 401 with Authorization: token \(token)", at: instant(1))
            let trigger = try store.recordTriggerAttempt(
                runID: run, target: "dispatch", kernel: "k", manifestDigest: "d", succeeded: false,
                error: "POST https://x-access-token:\(token)@api.github.com failed; secret \(plain)", at: instant(2))
            #expect(!(trigger.lastError ?? "").contains(token))
            #expect(trigger.lastError?.contains("[redacted]") == true)
            try store.recordFetch(
                runID: run, url: "https://api.github.com/repos/o/r?access_token=\(token)", status: 401, etag: nil,
                lastModified: nil, digest: nil, at: instant(3))
            try store.finishRun(
                run, endedAt: instant(4), outcome: .upstreamFailed, counts: .zero,
                message: "failed with Bearer \(token)")
            #expect(
                try store.sourceHealth().first?.lastFailureMessage == "GitHub API 401 with Authorization: [redacted]")
        }
        var bytes = Data()
        for suffix in ["", "-wal", "-shm"] {
            bytes += (try? Data(contentsOf: URL(fileURLWithPath: folder.databasePath + suffix))) ?? Data()
        }
        #expect(bytes.count > 0)
        for secret in [token, plain, unused] {
            #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret.prefix(6))… is not in the database files")
        }
        #expect(bytes.range(of: Data("[redacted]".utf8)) != nil, "the redacted messages were stored")
    }
}

@Suite("Redaction of encoded secrets")
struct EncodedSecretRedactionTests {
    static let secret = "p@ss/w0rd+Secret"

    @Test func aSecretIsRemovedRawPercentEncodedJSONEscapedAndInBase64() {
        let redactor = Redactor(secrets: [Self.secret])
        let forms = [
            Self.secret, "p%40ss%2Fw0rd%2BSecret", "p%40ss%2fw0rd%2bSecret", #"p@ss\/w0rd+Secret"#,
            Data(Self.secret.utf8).base64EncodedString(),
        ]
        for form in forms {
            let redacted = redactor.redact("before \(form) after")
            #expect(redacted == "before [redacted] after", "\(form) → \(redacted)")
        }
    }

    @Test(arguments: ["", "a", "ab", "user:"])
    func aSecretInsideALongerBase64TextIsRemoved(prefix: String) {
        let redactor = Redactor(secrets: [Self.secret])
        let encoded = Data((prefix + Self.secret + "-tail").utf8).base64EncodedString()
        let redacted = redactor.redact("header: \(encoded)")
        #expect(redacted.contains("[redacted]"), "\(encoded) → \(redacted)")
        // What is left decodes to no part of the secret longer than a few bytes.
        #expect(!redacted.contains(String(Data(Self.secret.utf8).base64EncodedString().prefix(8))))
    }

    @Test func basicCredentialsAndEchoedAuthorizationHeadersAreRemoved() {
        let basic = Data("smsync:hunter2-x".utf8).base64EncodedString()
        #expect(Redactor.patterns.redact("Authorization: Basic \(basic)") == "Authorization: [redacted]")
        #expect(
            Redactor.patterns.redact(#"{"accept":"*/*","authorization":"Basic \#(basic)","x":1}"#)
                == #"{"accept":"*/*","authorization":"[redacted]","x":1}"#)
        #expect(Redactor.patterns.redact("sent Basic \(basic) twice") == "sent Basic [redacted] twice")
        #expect(Redactor.patterns.redact("basic packages for data science") == "basic packages for data science")
    }

    @Test func credentialsOfConfiguredURLsAreFound() {
        let found = Redactor.credentials(inURLs: [
            "https://smsync:p%40ss%2Fw0rd%2BSecret@hooks.example/x",
            "https://exports.example/t/sk_live_5f3Q9x2LmR8vT1bZ7kYpW4nC/exports/",
            "https://example.org/a/b?token=abcd1234&page=2",
            "https://github.com/aws/sagemaker-distribution",
            "https://h/commit/0123456789abcdef0123456789abcdef01234567",
        ])
        #expect(found.contains(Self.secret))
        #expect(found.contains("smsync:\(Self.secret)"))
        #expect(found.contains("sk_live_5f3Q9x2LmR8vT1bZ7kYpW4nC"))
        #expect(found.contains("abcd1234"))
        #expect(!found.contains("sagemaker-distribution"))
        #expect(!found.contains("0123456789abcdef0123456789abcdef01234567"), "a hex digest is not a token")
    }

    @Test func payloadsAreStoredRedactedInTheDatabaseAndItsWAL() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let token = "sk_live_5f3Q9x2LmR8vT1bZ7kYpW4nC"
        let url = "https://exports.example/t/\(token)/exports/"
        let payload = Data(
            #"{"notes":["read from \#(url)","again \#(token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"]}"#
                .utf8)
        do {
            let store = try StateStore(path: folder.databasePath, secrets: Redactor.credentials(inURLs: [url]))
            let run = try store.beginRun(startedAt: instant(), pid: 1, host: "h", dryRun: false)
            #expect(
                try store.recordRelease(
                    source: "exports", kind: "env-export", releaseID: nil, digest: "d1", payload: payload,
                    at: instant(1)))
            try store.recordFetch(
                runID: run, url: url + "python3.yml", status: 200, etag: nil, lastModified: nil, digest: "d1",
                at: instant(2))
            try store.recordTriggerAttempt(
                runID: run, target: "hook", kernel: "k", manifestDigest: "d", succeeded: true, error: nil,
                at: instant(3), payload: Data("{\"pull_request_url\":\"\(url)\"}".utf8))
            let stored = try #require(try store.lastRelease(source: "exports"))
            #expect(String(decoding: stored.payload, as: UTF8.self).contains("[redacted]"))
            #expect(try store.lastFetch(url: url + "python3.yml") != nil, "a redacted URL still finds its record")
        }
        var bytes = Data()
        for suffix in ["", "-wal", "-shm"] {
            bytes += (try? Data(contentsOf: URL(fileURLWithPath: folder.databasePath + suffix))) ?? Data()
        }
        #expect(bytes.range(of: Data("[redacted]".utf8)) != nil)
        for form in [token, Data(token.utf8).base64EncodedString()] {
            #expect(bytes.range(of: Data(form.utf8)) == nil, "\(form) is not in the database files")
        }
    }
}
