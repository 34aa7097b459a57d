import Foundation
import Testing

@testable import SMSyncRuntime

@Suite("Reading files that are not regular files")
struct SpecialFileReadTests {
    /// Runs `AtomicFile.read(path)` off the test's thread; when it is still blocked after `seconds`,
    /// opens the FIFO for writing to release it and reports the hang.
    func readWithoutHanging(_ path: String, seconds: Double = 3) async -> Result<[UInt8], FileSystemError>? {
        let task = Task.detached { () -> Result<[UInt8], FileSystemError> in
            Result { () throws(FileSystemError) -> [UInt8] in try AtomicFile.read(path) }
        }
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if let done = await Self.poll(task) { return done }
            try? await Task.sleep(for: .milliseconds(20))
        }
        let writer = open(path, O_RDWR | O_NONBLOCK)
        if writer >= 0 { close(writer) }
        Issue.record("AtomicFile.read(\(path)) was still blocked after \(seconds) s")
        return nil
    }

    static func poll(_ task: Task<Result<[UInt8], FileSystemError>, Never>) async -> Result<[UInt8], FileSystemError>? {
        await withTaskGroup(of: Result<[UInt8], FileSystemError>?.self) { group in
            group.addTask { await task.value }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(1))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    @Test func aFIFOIsRefusedAtOnce() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fifo-\(UUID().uuidString)").path
        #expect(mkfifo(path, 0o600) == 0)
        defer { unlink(path) }
        let outcome = await readWithoutHanging(path)
        guard case .failure(let error)? = outcome else {
            Issue.record("expected a refusal, got \(String(describing: outcome))")
            return
        }
        #expect(error.reason.contains("a FIFO (named pipe), not a regular file"), "\(error)")
        #expect(error.path == path)
    }

    @Test func aSocketAndADeviceAreRefused() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sock-\(UUID().uuidString)").path
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer {
            close(fd)
            unlink(path)
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        #expect(bound == 0)
        let socketError = #expect(throws: FileSystemError.self) { try AtomicFile.read(path) }
        #expect(socketError?.reason.contains("a socket") == true, "\(socketError.map { "\($0)" } ?? "")")
        let deviceError = #expect(throws: FileSystemError.self) { try AtomicFile.read("/dev/zero") }
        #expect(deviceError?.reason.contains("a character device") == true)
    }

    @Test func aSecretFileThatIsAFIFOIsAProblemNotAMissingSecret() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tok-\(UUID().uuidString)").path
        #expect(mkfifo(path, 0o600) == 0)
        defer { unlink(path) }
        let secrets = Secrets(environment: ["HOOK_SECRET_FILE": path])
        #expect(secrets.problem(["HOOK_SECRET"])?.contains("HOOK_SECRET_FILE: \(path)") == true)
        #expect(Secrets(environment: ["HOOK_SECRET": "x", "HOOK_SECRET_FILE": path]).problem(["HOOK_SECRET"]) == nil)
        #expect(secrets.value("HOOK_SECRET") == nil)
    }
}
