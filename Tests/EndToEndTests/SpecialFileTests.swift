import Foundation
import Testing

/// A FIFO, socket or device where a file should be is refused at once (exit 2), never waited on in open(2).
@Suite("Special files in place of inputs")
struct SpecialFileTests {
    struct Scratch {
        let root: URL
        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("smsync-special-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        }
        func fifo(_ name: String) throws -> String {
            let path = root.appendingPathComponent(name).path
            #expect(mkfifo(path, 0o600) == 0)
            return path
        }
        func remove() { try? FileManager.default.removeItem(at: root) }
    }

    @Test func anEnvFileThatIsAFIFOIsRefused() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let fifo = try scratch.fifo("python3.yml")
        let result = try await Binary.runAsync(["env", "parse", fifo], timeout: 20)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("a FIFO (named pipe)"), "\(result.stderr)")
    }

    @Test func aConfigurationThatIsAFIFOIsRefused() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let fifo = try scratch.fifo("smsync.yml")
        let result = try await Binary.runAsync(["sync", "--dry-run", "--config", fifo], timeout: 20)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains(fifo) && result.stderr.contains("FIFO"), "\(result.stderr)")
    }

    @Test func aSecretFileThatIsAFIFOIsRefusedBeforeTheLock() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let demo = scratch.root.appendingPathComponent("demo")
        try FileManager.default.copyItem(at: Binary.fixture("demo"), to: demo)
        let fifo = try scratch.fifo("token")
        let config = demo.appendingPathComponent("smsync.yml").path
        let result = try await Binary.runAsync(
            ["sync", "--dry-run", "--config", config], environment: ["GITHUB_TOKEN_FILE": fifo, "GITHUB_TOKEN": ""],
            timeout: 20)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("GITHUB_TOKEN_FILE") && result.stderr.contains("FIFO"), "\(result.stderr)")
        // The lock was never taken: a second run is refused for the same reason, not as "another run" (4).
        let again = try await Binary.runAsync(
            ["sync", "--dry-run", "--config", config], environment: ["GITHUB_TOKEN_FILE": fifo, "GITHUB_TOKEN": ""],
            timeout: 20)
        #expect(again.status == 2)
    }
}
