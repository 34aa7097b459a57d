import Foundation

/// A subprocess that failed to start, timed out, or exited non-zero.
public struct ProcessError: Error, Sendable, CustomStringConvertible {
    public var command: [String]
    public var status: Int32?
    public var output: String
    public var message: String

    public var description: String {
        let shown = command.joined(separator: " ")
        let detail = output.isEmpty ? "" : ": \(output.trimmingCharacters(in: .whitespacesAndNewlines))"
        return "\(shown): \(message)\(detail)"
    }
}

/// Runs programs without a shell: arguments as an array, output captured up to a limit, a deadline enforced.
public enum ProcessRunner {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Finds `name` on `PATH` (or takes it as a path when it holds a `/`).
    public static func locate(
        _ name: String, environment: [String: String] = ProcessInfo.processInfo.environment
    )
        -> String?
    {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") where !folder.isEmpty {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs `arguments[0]` with the rest as its arguments. `environment` replaces the child's environment when
    /// given; `outputLimit` caps what is kept of each stream; past `timeout` seconds the child is killed.
    public static func run(
        _ arguments: [String], in directory: String? = nil, environment: [String: String]? = nil,
        outputLimit: Int = 1 << 20, timeout: Double = 120
    ) throws(ProcessError) -> Output {
        guard let name = arguments.first,
            let executable = locate(name, environment: environment ?? ProcessInfo.processInfo.environment)
        else {
            throw ProcessError(command: arguments, status: nil, output: "", message: "program not found on PATH")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(arguments.dropFirst())
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if let environment { process.environment = environment }
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        let collector = StreamCollector(stdout.fileHandleForReading, stderr.fileHandleForReading, limit: outputLimit)
        do {
            try process.run()
        } catch {
            throw ProcessError(command: arguments, status: nil, output: "", message: "cannot start: \(error)")
        }
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while process.isRunning {
            if Date() > deadline {
                timedOut = true
                process.terminate()
                usleep(200_000)
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                break
            }
            usleep(1_000)
        }
        process.waitUntilExit()
        let (out, err) = collector.finish()
        if timedOut {
            throw ProcessError(command: arguments, status: nil, output: err, message: "timed out after \(timeout) s")
        }
        return Output(status: process.terminationStatus, stdout: out, stderr: err)
    }

    /// Like `run`, but a non-zero exit is an error carrying the program's stderr.
    @discardableResult
    public static func check(
        _ arguments: [String], in directory: String? = nil, environment: [String: String]? = nil,
        timeout: Double = 120
    ) throws(ProcessError) -> String {
        let output = try run(arguments, in: directory, environment: environment, timeout: timeout)
        guard output.status == 0 else {
            throw ProcessError(
                command: arguments, status: output.status, output: output.stderr,
                message: "exited with status \(output.status)")
        }
        return output.stdout
    }
}

/// Drains two pipes on background threads, keeping at most `limit` bytes of each.
final class StreamCollector: @unchecked Sendable {
    private let group = DispatchGroup()
    private var out = Data()
    private var err = Data()

    init(_ output: FileHandle, _ error: FileHandle, limit: Int) {
        group.enter()
        DispatchQueue.global().async {
            self.out = Self.drain(output, limit: limit)
            self.group.leave()
        }
        group.enter()
        DispatchQueue.global().async {
            self.err = Self.drain(error, limit: limit)
            self.group.leave()
        }
    }

    private static func drain(_ handle: FileHandle, limit: Int) -> Data {
        var kept = Data()
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            if kept.count < limit { kept.append(chunk.prefix(limit - kept.count)) }
        }
        return kept
    }

    func finish() -> (String, String) {
        group.wait()
        return (String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }
}
