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
    /// given; `outputLimit` caps what is kept of each stream; past `timeout` seconds the child is terminated, then
    /// killed. Nothing here blocks a thread: the exit and both pipes are awaited through callbacks.
    public static func run(
        _ arguments: [String], in directory: String? = nil, environment: [String: String]? = nil,
        outputLimit: Int = 1 << 20, timeout: Double = 120
    ) async throws(ProcessError) -> Output {
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
        let exit = ExitSignal()
        process.terminationHandler = { ended in exit.fire(status: ended.terminationStatus) }
        let collector = StreamCollector(stdout.fileHandleForReading, stderr.fileHandleForReading, limit: outputLimit)
        do {
            try process.run()
        } catch {
            throw ProcessError(command: arguments, status: nil, output: "", message: "cannot start: \(error)")
        }
        let pid = process.processIdentifier
        let watchdog = Task {
            try await Task.sleep(for: .seconds(timeout))
            guard !exit.hasFired else { return }
            exit.markTimedOut()
            kill(pid, SIGTERM)
            try await Task.sleep(for: .milliseconds(200))
            if !exit.hasFired { kill(pid, SIGKILL) }
        }
        let status = await exit.ended()
        watchdog.cancel()
        let (out, err) = await collector.finish()
        if exit.timedOut {
            throw ProcessError(command: arguments, status: nil, output: err, message: "timed out after \(timeout) s")
        }
        return Output(status: status, stdout: out, stderr: err)
    }

    /// Like `run`, but a non-zero exit is an error carrying the program's stderr.
    @discardableResult
    public static func check(
        _ arguments: [String], in directory: String? = nil, environment: [String: String]? = nil,
        timeout: Double = 120
    ) async throws(ProcessError) -> String {
        let output = try await run(arguments, in: directory, environment: environment, timeout: timeout)
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

    /// Both streams once each has reached its end; the wait is a callback, not a blocked thread.
    func finish() async -> (String, String) {
        await withCheckedContinuation { continuation in
            group.notify(queue: .global()) {
                continuation.resume(
                    returning: (String(decoding: self.out, as: UTF8.self), String(decoding: self.err, as: UTF8.self)))
            }
        }
    }
}

/// A child's exit, signalled once by its termination handler and awaited by `ProcessRunner.run`.
final class ExitSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var status: Int32?
    private var waiter: CheckedContinuation<Int32, Never>?
    private var expired = false

    var hasFired: Bool { lock.withLock { status != nil } }
    var timedOut: Bool { lock.withLock { expired } }

    func markTimedOut() { lock.withLock { expired = true } }

    func fire(status: Int32) {
        let waiter = lock.withLock { () -> CheckedContinuation<Int32, Never>? in
            self.status = status
            defer { self.waiter = nil }
            return self.waiter
        }
        waiter?.resume(returning: status)
    }

    func ended() async -> Int32 {
        await withCheckedContinuation { continuation in
            let ended = lock.withLock { () -> Int32? in
                if let status { return status }
                waiter = continuation
                return nil
            }
            if let ended { continuation.resume(returning: ended) }
        }
    }
}
