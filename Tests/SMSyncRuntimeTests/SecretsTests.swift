import Foundation
import Testing

@testable import SMSyncRuntime

@Suite("Sync: secrets from the environment or a file")
struct SecretsTests {
    @Test func readsTheVariableThenTheFileNamedByNameFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("smsync-secret-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("github-token")
        try "  ghp_fromFILE123456\n".write(to: file, atomically: true, encoding: .utf8)
        let fromFile = Secrets(environment: ["GITHUB_TOKEN_FILE": file.path])
        #expect(fromFile.value("GITHUB_TOKEN") == "ghp_fromFILE123456")
        let both = Secrets(environment: ["GITHUB_TOKEN": "ghp_fromENV", "GITHUB_TOKEN_FILE": file.path])
        #expect(both.value("GITHUB_TOKEN") == "ghp_fromENV")
        #expect(Secrets(environment: [:]).value("GITHUB_TOKEN") == nil)
        #expect(
            Secrets(environment: ["GITHUB_TOKEN_FILE": folder.appendingPathComponent("absent").path]).value(
                "GITHUB_TOKEN") == nil)
        #expect(fromFile.resolving(["GITHUB_TOKEN"])["GITHUB_TOKEN"] == "ghp_fromFILE123456")
    }

    @Test func everySecretValueIsRedactedByTheRunsRedactor() {
        let secrets = Secrets(environment: ["GITHUB_TOKEN": "ghp_abc123456789", "HOOK": "s3cr3t-value"])
        let redactor = Redactor(secrets: ["GITHUB_TOKEN", "HOOK"].compactMap { secrets.value($0) })
        let text = redactor.redact("POST failed: body s3cr3t-value, then ghp_abc123456789")
        #expect(!text.contains("ghp_abc123456789"))
        #expect(!text.contains("s3cr3t-value"))
        #expect(text.contains("POST failed"))
    }
}
