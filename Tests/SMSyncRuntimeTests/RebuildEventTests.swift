import Foundation
import Testing

@testable import SMSyncRuntime

@Suite("Rebuild events: the stored webhook body reads back")
struct RebuildEventTests {
    @Test func theWebhookBodyRoundTrips() throws {
        let event = RebuildEvent(
            runID: "7", kernels: ["conda_python3"],
            changes: [
                TriggerChange(kernel: "conda_python3", package: "numpy", manager: "conda", from: "=1.0", to: "=1.1"),
                TriggerChange(kernel: "conda_python3", package: "new", manager: "pip", from: nil, to: "==2"),
            ],
            changedFiles: ["envs/python3.yml"], pullRequestURL: "https://github.test/acme/image/pull/1")
        let decoded = try #require(RebuildEvent.decoded(from: Data(event.webhookBody)))
        #expect(decoded.runID == event.runID)
        #expect(decoded.kernels == event.kernels)
        #expect(decoded.changes == event.changes)
        #expect(decoded.pullRequestURL == event.pullRequestURL)
        #expect(decoded.changedFiles.isEmpty, "the webhook body does not carry the changed files")
        #expect(RebuildEvent.decoded(from: Data("not json".utf8)) == nil)
    }
}
