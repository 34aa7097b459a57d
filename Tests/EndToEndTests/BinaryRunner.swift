import Foundation
import SMSyncTestSupport
import Testing

/// Runs the built `smsync` binary as a user would, with real pipes and a real exit status.
enum Binary {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func fixture(_ relative: String) -> URL {
        packageRoot.appendingPathComponent("Fixtures").appendingPathComponent(relative)
    }

    /// The `smsync` executable built next to this test bundle.
    static var executable: URL {
        get throws {
            var candidates: [URL] = []
            let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            var folder = testBinary.deletingLastPathComponent()
            for _ in 0..<4 {
                candidates.append(folder.appendingPathComponent("smsync"))
                folder = folder.deletingLastPathComponent()
            }
            candidates.append(packageRoot.appendingPathComponent(".build/debug/smsync"))
            for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate.path) {
                return candidate
            }
            throw RunError(message: "smsync binary not found; looked in \(candidates.map(\.path))")
        }
    }

    struct RunError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

}

/// A running `smsync` process that async tests can wait for (or kill) without blocking the cooperative pool.
final class RunningBinary: @unchecked Sendable {
    let process: Process
    private let collector: OutputCollectorBytes

    init(
        _ arguments: [String], stdin: String = "", environment: [String: String] = [:], currentDirectory: URL? = nil
    ) throws {
        process = Process()
        process.executableURL = try Binary.executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let input = Pipe()
        let output = Pipe()
        let error = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = error
        try process.run()
        collector = OutputCollectorBytes(output: output.fileHandleForReading, error: error.fileHandleForReading)
        let writer = input.fileHandleForWriting
        let bytes = Data(stdin.utf8)
        DispatchQueue.global().async {
            writer.write(bytes)
            try? writer.close()
        }
    }

    /// Waits for the process to end, at most `timeout` seconds (then kills it and fails).
    func wait(timeout: Double = 120) async throws -> Binary.Result {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                throw Binary.RunError(message: "smsync \(process.arguments ?? []) did not finish within \(timeout) s")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        let (outBytes, errBytes) = collector.finish()
        let (stdout, stderr) = (String(decoding: outBytes, as: UTF8.self), String(decoding: errBytes, as: UTF8.self))
        return Binary.Result(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }

    func kill(_ signal: Int32) {
        Foundation.kill(process.processIdentifier, signal)
    }
}

extension Binary {
    /// Runs `smsync` to the end from an async test.
    static func runAsync(
        _ arguments: [String], stdin: String = "", environment: [String: String] = [:], currentDirectory: URL? = nil,
        timeout: Double = 120
    ) async throws -> Result {
        try await RunningBinary(arguments, stdin: stdin, environment: environment, currentDirectory: currentDirectory)
            .wait(timeout: timeout)
    }
}

/// The real `git`, for setting up test repositories.
enum Git {
    /// Runs git with `arguments` in `directory`; throws when it exits non-zero. Returns stdout, trimmed.
    @discardableResult
    static func run(_ arguments: [String], in directory: URL) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        process.currentDirectoryURL = directory
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Binary.RunError(message: "git \(arguments) exited \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
