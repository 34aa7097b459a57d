import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

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
///
/// Each child is the leader of a process group of its own. On the deadline, on cancellation of the calling task,
/// or when `stopAfterOutput` is passed, the whole group gets `SIGTERM`, then `SIGKILL` after a short grace. When
/// the child exits, whatever it left running in its group is ended the same way, and pipes that something else
/// still holds open are read for at most ``drainSeconds`` more, then closed: a background process cannot keep
/// a run waiting. Nothing here blocks a thread: the exit is watched through a pidfd, the pipes through read
/// sources.
public enum ProcessRunner {
    public struct Output: Sendable {
        /// The exit status, or 128 + the signal number when a signal ended the child.
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// Bytes the child wrote to stdout, including those past the kept limit.
        public var stdoutBytes: Int = 0
        /// True when the group was ended because stdout passed `stopAfterOutput`.
        public var stopped: Bool = false
    }

    /// Seconds pipes are still read after the child exited.
    public static let drainSeconds: Double = 0.5
    /// Seconds between `SIGTERM` and `SIGKILL` to the group.
    public static let graceSeconds: Double = 0.3

    /// The environment a child gets when none is given: `PATH`, `HOME`, `LANG`, `LC_ALL` and `TMPDIR` of this
    /// process, when set (a `PATH` of `/usr/local/bin:/usr/bin:/bin` when not).
    public static func minimalEnvironment(
        from environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> [String: String] {
        var result: [String: String] = [:]
        for name in ["PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"] {
            if let value = environment[name] { result[name] = value }
        }
        if result["PATH"] == nil { result["PATH"] = "/usr/local/bin:/usr/bin:/bin" }
        return result
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

    /// Runs `arguments[0]` with the rest as its arguments. `environment` is the child's whole environment (nil:
    /// ``minimalEnvironment(from:)``); `outputLimit` caps what is kept of each stream; past `timeout` seconds the
    /// group is terminated, then killed, and the call throws. With `stopAfterOutput`, the group is ended as soon
    /// as stdout passes that many bytes, and the output says `stopped`.
    public static func run(
        _ arguments: [String], in directory: String? = nil, environment: [String: String]? = nil,
        outputLimit: Int = 1 << 20, timeout: Double = 120, stopAfterOutput: Int? = nil
    ) async throws(ProcessError) -> Output {
        let environment = environment ?? minimalEnvironment()
        guard let name = arguments.first, let executable = locate(name, environment: environment) else {
            throw ProcessError(command: arguments, status: nil, output: "", message: "program not found on PATH")
        }
        if Task.isCancelled {
            throw ProcessError(command: arguments, status: nil, output: "", message: "cancelled before it started")
        }
        let child: SpawnedChild
        do {
            child = try SpawnedChild.spawn(
                executable: executable, arguments: arguments, directory: directory, environment: environment,
                limit: max(outputLimit, 0), stopAfter: stopAfterOutput, timeout: timeout)
        } catch {
            throw ProcessError(command: arguments, status: nil, output: "", message: "cannot start: \(error.message)")
        }
        let result = await withTaskCancellationHandler {
            await child.finished()
        } onCancel: {
            child.cancel()
        }
        if result.timedOut {
            throw ProcessError(
                command: arguments, status: nil, output: result.stderr, message: "timed out after \(timeout) s")
        }
        if result.cancelled {
            throw ProcessError(command: arguments, status: nil, output: result.stderr, message: "cancelled")
        }
        return Output(
            status: result.status, stdout: result.stdout, stderr: result.stderr, stdoutBytes: result.stdoutBytes,
            stopped: result.stopped)
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

/// Why a child could not be started.
struct SpawnError: Error {
    var message: String

    init(_ message: String, errno code: Int32? = nil) {
        self.message = code.map { "\(message): \(String(cString: strerror($0)))" } ?? message
    }
}

/// C library functions the Swift overlay does not export, looked up once by name.
enum ProcessCalls {
    typealias PidfdOpen = @convention(c) (pid_t, UInt32) -> Int32
    typealias AddChdir =
        @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) ->
        Int32
    typealias AddClosefrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>?, Int32) -> Int32

    nonisolated(unsafe) private static let library = dlopen(nil, RTLD_NOW)

    private static func symbol(_ name: String) -> UnsafeMutableRawPointer? {
        guard let library else { return nil }
        return dlsym(library, name)
    }

    static let pidfdOpen: PidfdOpen? = symbol("pidfd_open").map { unsafeBitCast($0, to: PidfdOpen.self) }
    static let addChdir: AddChdir? = symbol("posix_spawn_file_actions_addchdir_np").map {
        unsafeBitCast($0, to: AddChdir.self)
    }
    static let pipe2: Pipe2? = symbol("pipe2").map { unsafeBitCast($0, to: Pipe2.self) }

    /// A pipe whose two ends are closed on exec (the child gets copies through `dup2`).
    static func pipe(_ ends: inout [Int32]) -> Int32 {
        if let pipe2 { return pipe2(&ends, O_CLOEXEC) }
        guard Glibc.pipe(&ends) == 0 else { return -1 }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return 0
    }

    static let addClosefrom: AddClosefrom? = symbol("posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast($0, to: AddClosefrom.self)
    }
}

/// One running child and its group. Every event (pipe data, exit, timers, cancellation) is handled on one
/// serial queue, which owns all the mutable state.
final class SpawnedChild: @unchecked Sendable {
    struct Result {
        var status: Int32 = -1
        var stdout = ""
        var stderr = ""
        var stdoutBytes = 0
        var stopped = false
        var timedOut = false
        var cancelled = false
    }

    let pid: pid_t
    private let queue: DispatchQueue
    private let limit: Int
    private let stopAfter: Int?

    private var out = [UInt8]()
    private var err = [UInt8]()
    private var outBytes = 0
    private var status: Int32?
    private var stopped = false
    private var timedOut = false
    private var cancelled = false
    private var terminating = false
    private var groupSettled = false
    private var openSources = 0
    private var sources: [any DispatchSourceProtocol] = []
    private var streamSources: [any DispatchSourceProtocol] = []
    private var waiter: CheckedContinuation<Result, Never>?
    private var deadline: DispatchWorkItem?
    private var result: Result?
    private var buffer = [UInt8](repeating: 0, count: 64 << 10)

    private init(pid: pid_t, limit: Int, stopAfter: Int?) {
        self.pid = pid
        self.limit = limit
        self.stopAfter = stopAfter
        self.queue = DispatchQueue(label: "smsync.process.\(pid)")
    }

    /// Starts `executable` as the leader of a new process group, stdin from `/dev/null`, stdout and stderr into
    /// pipes, every other descriptor closed, signals at their defaults.
    static func spawn(
        executable: String, arguments: [String], directory: String?, environment: [String: String], limit: Int,
        stopAfter: Int?, timeout: Double
    ) throws(SpawnError) -> SpawnedChild {
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard ProcessCalls.pipe(&outPipe) == 0 else { throw SpawnError("pipe", errno: errno) }
        guard ProcessCalls.pipe(&errPipe) == 0 else {
            let code = errno
            close(outPipe[0])
            close(outPipe[1])
            throw SpawnError("pipe", errno: code)
        }
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer {
            close(outPipe[1])
            close(errPipe[1])
            if null >= 0 { close(null) }
        }
        func closeReadEnds() {
            close(outPipe[0])
            close(errPipe[0])
        }
        guard null >= 0 else {
            let code = errno
            closeReadEnds()
            throw SpawnError("/dev/null", errno: code)
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, null, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        if let addClosefrom = ProcessCalls.addClosefrom { _ = addClosefrom(&actions, 3) }
        if let directory {
            guard let addChdir = ProcessCalls.addChdir else {
                closeReadEnds()
                throw SpawnError("this C library cannot set a child's working folder")
            }
            let code = directory.withCString { addChdir(&actions, $0) }
            guard code == 0 else {
                closeReadEnds()
                throw SpawnError("working folder \(directory)", errno: code)
            }
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard code == 0 else {
            closeReadEnds()
            throw SpawnError(executable, errno: code)
        }
        let child = SpawnedChild(pid: pid, limit: limit, stopAfter: stopAfter)
        let (outRead, errRead) = (outPipe[0], errPipe[0])
        child.queue.async {
            child.watch(stream: outRead, isStdout: true)
            child.watch(stream: errRead, isStdout: false)
            child.watchExit()
            child.startDeadline(timeout)
        }
        return child
    }

    /// The outcome, once the child has exited, its group is gone and both pipes are closed.
    func finished() async -> Result {
        await withCheckedContinuation { continuation in
            queue.async {
                if let result = self.result {
                    continuation.resume(returning: result)
                } else {
                    self.waiter = continuation
                }
            }
        }
    }

    /// Ends the group because the calling task was cancelled.
    func cancel() {
        queue.async {
            guard self.status == nil else { return }
            self.cancelled = true
            self.terminateGroup()
        }
    }

    // MARK: on the queue

    private func startDeadline(_ seconds: Double) {
        let item = DispatchWorkItem { [weak self] in self?.expire() }
        deadline = item
        queue.asyncAfter(deadline: .now() + min(max(seconds, 0), 1e8), execute: item)
    }

    private func expire() {
        guard status == nil else { return }
        timedOut = true
        terminateGroup()
    }

    /// `SIGTERM` to the group now, `SIGKILL` after the grace period. While the leader is not reaped its id
    /// cannot be reused, so the group id is safe to signal.
    private func terminateGroup() {
        guard !terminating else { return }
        terminating = true
        kill(-pid, SIGTERM)
        queue.asyncAfter(deadline: .now() + ProcessRunner.graceSeconds) { [self] in
            if status == nil || kill(-pid, 0) == 0 { kill(-pid, SIGKILL) }
        }
    }

    private func watch(stream fd: Int32, isStdout: Bool) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler { [self] in drain(fd, isStdout: isStdout, source: source) }
        source.setCancelHandler { [self] in
            close(fd)
            sourceClosed()
        }
        openSources += 1
        streamSources.append(source)
        sources.append(source)
        source.resume()
    }

    private func drain(_ fd: Int32, isStdout: Bool, source: any DispatchSourceRead) {
        while !source.isCancelled {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                keep(count, isStdout: isStdout)
                continue
            }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            source.cancel()
            streamClosed()
            return
        }
    }

    private func keep(_ count: Int, isStdout: Bool) {
        if isStdout {
            outBytes += count
            if out.count < limit { out.append(contentsOf: buffer[0..<min(count, limit - out.count)]) }
            if let stopAfter, outBytes > stopAfter, !stopped {
                stopped = true
                terminateGroup()
            }
        } else if err.count < limit {
            err.append(contentsOf: buffer[0..<min(count, limit - err.count)])
        }
    }

    private func streamClosed() {
        if status != nil, streamSources.allSatisfy(\.isCancelled) { settleGroup() }
    }

    private func watchExit() {
        let descriptor = ProcessCalls.pidfdOpen.map { $0(pid, 0) } ?? -1
        openSources += 1
        if descriptor >= 0 {
            // The pidfd turns readable when the child exits. The child is reaped only once the source is gone:
            // a reaped child's pidfd also reports a hang-up, which must not reach a registered source.
            let readable = DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: queue)
            readable.setEventHandler { [readable] in readable.cancel() }
            readable.setCancelHandler { [self] in
                let exited = reap()
                close(descriptor)
                if exited { exitSeen() } else { watchExit() }
                sourceClosed()
            }
            sources.append(readable)
            readable.resume()
        } else {
            // Kernels without pidfd: look for the exit a few times a second; the wait itself never blocks.
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.schedule(deadline: .now() + .milliseconds(5), repeating: .milliseconds(20))
            timer.setEventHandler { [self, timer] in
                if status == nil, reap() {
                    timer.cancel()
                    exitSeen()
                }
            }
            timer.setCancelHandler { [self] in sourceClosed() }
            sources.append(timer)
            timer.resume()
        }
    }

    /// Collects the child's exit status when it has exited; false while it still runs.
    private func reap() -> Bool {
        var raw: Int32 = 0
        let result = waitpid(pid, &raw, WNOHANG)
        if result == 0 { return false }
        if result == pid {
            let signal = raw & 0x7F
            status = signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
        } else {
            status = -1
        }
        return true
    }

    private func exitSeen() {
        if streamSources.allSatisfy(\.isCancelled) {
            settleGroup()
        } else {
            queue.asyncAfter(deadline: .now() + ProcessRunner.drainSeconds) { [self] in settleGroup() }
        }
    }

    /// After the leader's exit: ends what is left of its group, then closes the pipes.
    private func settleGroup() {
        guard !groupSettled else { return }
        groupSettled = true
        if kill(-pid, 0) == 0 {
            kill(-pid, SIGTERM)
            queue.asyncAfter(deadline: .now() + ProcessRunner.graceSeconds) { [self] in
                if kill(-pid, 0) == 0 { kill(-pid, SIGKILL) }
                closeStreams()
            }
        } else {
            closeStreams()
        }
    }

    private func closeStreams() {
        for source in streamSources where !source.isCancelled { source.cancel() }
        if openSources == 0 { complete() }
    }

    private func sourceClosed() {
        openSources -= 1
        if openSources == 0, groupSettled { complete() }
    }

    private func complete() {
        guard result == nil else { return }
        let finished = Result(
            status: status ?? -1, stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: err, as: UTF8.self), stdoutBytes: outBytes, stopped: stopped,
            timedOut: timedOut, cancelled: cancelled)
        result = finished
        deadline?.cancel()
        deadline = nil
        sources.removeAll()
        streamSources.removeAll()
        if let waiter {
            self.waiter = nil
            waiter.resume(returning: finished)
        }
    }
}
