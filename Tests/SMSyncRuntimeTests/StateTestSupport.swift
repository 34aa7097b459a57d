import Foundation
import Glibc
import SMSyncRuntime
import Testing

/// A fresh folder under the temporary directory, removed by `cleanup()`.
struct StateFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("smsync-state-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    var databasePath: String { url.appendingPathComponent("state.db").path }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func cleanup() {
        try? FileManager.default.removeItem(at: url)
    }
}

/// A fixed instant plus `seconds`, whole seconds so that stored dates compare equal.
func instant(_ seconds: Int = 0) -> Date {
    Date(timeIntervalSince1970: 1_767_225_600 + TimeInterval(seconds))  // 2026-01-01T00:00:00Z
}

/// The python3 interpreter used to play a second process, if there is one.
let python3 = ProcessRunner.locate("python3")

/// A child process started for a test, killed when the test is done with it.
final class ChildProcess {
    let process: Process
    private let readyFile: String

    /// Starts `python3 -c script args…`; the script signals readiness by creating the file named by `argv[1]`.
    init(python script: String, arguments: [String], readyFile: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(python3))
        process.arguments = ["-c", script, readyFile] + arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        self.process = process
        self.readyFile = readyFile
    }

    /// Waits (bounded) until the child has created its ready file; returns its content (trimmed).
    func waitUntilReady(seconds: Double = 30) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: readyFile, encoding: .utf8), text.hasSuffix("\n") {
                return text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            guard process.isRunning else { break }
            usleep(10_000)
        }
        throw ChildFailure(
            "the child process did not get ready (running: \(process.isRunning), status: \(status))")
    }

    private var status: String {
        process.isRunning ? "-" : String(process.terminationStatus)
    }

    /// Sends SIGKILL to `pid` (the child itself unless given) and waits for the child to end.
    func killHard(pid: Int32? = nil) {
        kill(pid ?? process.processIdentifier, SIGKILL)
        if pid != nil, pid != process.processIdentifier { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Waits (bounded) for the child to end by itself and returns its exit status.
    func waitForExit(seconds: Double = 30) throws -> Int32 {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        guard !process.isRunning else {
            killHard()
            throw ChildFailure("the child process did not exit within \(seconds) s")
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

struct ChildFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
