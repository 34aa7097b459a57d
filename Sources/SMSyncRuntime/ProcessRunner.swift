import Foundation
import Synchronization

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
/// a run waiting. The exit (through a pidfd) and the pipes are watched by one thread per child that blocks only
/// in `poll(2)`; no thread of the cooperative pool ever waits.
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

/// One running child and its group, watched by a thread of its own.
///
/// The thread polls the two pipes, the child's pidfd and a wake-up pipe, and owns every piece of per-child state;
/// the deadline, the grace before `SIGKILL` and the drain after the exit are `poll` timeouts. It blocks only in
/// `poll(2)`, never a thread of the cooperative pool, and registers nothing with an event loop shared with the
/// rest of the process: descriptors are closed by the thread that polled them, when nothing else can see them.
final class SpawnedChild: @unchecked Sendable {
    struct Result: Sendable {
        var status: Int32 = -1
        var stdout = ""
        var stderr = ""
        var stdoutBytes = 0
        var stopped = false
        var timedOut = false
        var cancelled = false
    }

    /// What the caller and the watching thread share.
    private struct Shared {
        var cancelRequested = false
        var result: Result?
        var waiter: CheckedContinuation<Result, Never>?
    }

    let pid: pid_t
    private let shared = Mutex(Shared())
    /// Written by ``cancel()`` to wake the watching thread; both ends are closed when the result is set.
    private let wake: (read: Int32, write: Int32)

    private init(pid: pid_t, wake: (read: Int32, write: Int32)) {
        self.pid = pid
        self.wake = wake
    }

    /// Starts `executable` as the leader of a new process group, stdin from `/dev/null`, stdout and stderr into
    /// pipes, every other descriptor closed, signals at their defaults.
    static func spawn(
        executable: String, arguments: [String], directory: String?, environment: [String: String], limit: Int,
        stopAfter: Int?, timeout: Double
    ) throws(SpawnError) -> SpawnedChild {
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        var wakePipe: [Int32] = [-1, -1]
        guard ProcessCalls.pipe(&outPipe) == 0 else { throw SpawnError("pipe", errno: errno) }
        guard ProcessCalls.pipe(&errPipe) == 0 else {
            let code = errno
            close(outPipe[0])
            close(outPipe[1])
            throw SpawnError("pipe", errno: code)
        }
        guard ProcessCalls.pipe(&wakePipe) == 0 else {
            let code = errno
            for end in outPipe + errPipe { close(end) }
            throw SpawnError("pipe", errno: code)
        }
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer {
            close(outPipe[1])
            close(errPipe[1])
            if null >= 0 { close(null) }
        }
        func closeOurEnds() {
            close(outPipe[0])
            close(errPipe[0])
            close(wakePipe[0])
            close(wakePipe[1])
        }
        guard null >= 0 else {
            let code = errno
            closeOurEnds()
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
                closeOurEnds()
                throw SpawnError("this C library cannot set a child's working folder")
            }
            let code = directory.withCString { addChdir(&actions, $0) }
            guard code == 0 else {
                closeOurEnds()
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
            closeOurEnds()
            throw SpawnError(executable, errno: code)
        }
        for end in [outPipe[0], errPipe[0], wakePipe[0], wakePipe[1]] {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
        }
        let child = SpawnedChild(pid: pid, wake: (wakePipe[0], wakePipe[1]))
        let watch = Watch(
            pid: pid, stdout: outPipe[0], stderr: errPipe[0], wake: wakePipe[0], limit: limit, stopAfter: stopAfter,
            timeout: timeout)
        let thread = Thread {
            var running = watch
            child.complete(running.run { child.shared.withLock { $0.cancelRequested } })
        }
        thread.name = "smsync.process.\(pid)"
        thread.start()
        return child
    }

    /// The outcome, once the child has exited, its group is gone and both pipes are closed.
    func finished() async -> Result {
        await withCheckedContinuation { continuation in
            let ready: Result? = shared.withLock { state in
                if let result = state.result { return result }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Ends the group because the calling task was cancelled.
    func cancel() {
        shared.withLock { state in
            // The wake pipe is open exactly while no result is set: both change under this lock.
            guard state.result == nil else { return }
            state.cancelRequested = true
            var byte: UInt8 = 1
            _ = Glibc.write(wake.write, &byte, 1)
        }
    }

    private func complete(_ result: Result) {
        let waiter = shared.withLock { state -> CheckedContinuation<Result, Never>? in
            state.result = result
            close(wake.read)
            close(wake.write)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: result)
    }
}

/// The watching thread's state machine: reads, reaps, signals and times, then returns the outcome.
private struct Watch {
    let pid: pid_t
    var stdout: Int32
    var stderr: Int32
    let wake: Int32
    let limit: Int
    let stopAfter: Int?
    let timeout: Double

    private var out = [UInt8]()
    private var err = [UInt8]()
    private var outBytes = 0
    private var status: Int32?
    private var stopped = false
    private var timedOut = false
    private var cancelled = false
    /// When `SIGKILL` follows the `SIGTERM` already sent to the group.
    private var killAt: Double?
    /// After the exit: when the pipes stop being read.
    private var drainUntil: Double?
    /// After the exit and the drain: the group has been told to end; close the pipes at `killAt`.
    private var settling = false
    private var pidfd: Int32 = -1
    private var buffer = [UInt8](repeating: 0, count: 64 << 10)

    init(pid: pid_t, stdout: Int32, stderr: Int32, wake: Int32, limit: Int, stopAfter: Int?, timeout: Double) {
        self.pid = pid
        self.stdout = stdout
        self.stderr = stderr
        self.wake = wake
        self.limit = limit
        self.stopAfter = stopAfter
        self.timeout = timeout
    }

    private static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    mutating func run(cancelRequested: () -> Bool) -> SpawnedChild.Result {
        pidfd = ProcessCalls.pidfdOpen.map { $0(pid, 0) } ?? -1
        let deadline = Self.now() + min(max(timeout, 0), 1e8)
        while true {
            let now = Self.now()
            if status == nil {
                if cancelRequested(), !cancelled {
                    cancelled = true
                    terminateGroup(now)
                }
                if now >= deadline, !timedOut {
                    timedOut = true
                    terminateGroup(now)
                }
            }
            if let due = killAt, now >= due {
                killAt = nil
                if status == nil || kill(-pid, 0) == 0 { kill(-pid, SIGKILL) }
                if settling { break }
            }
            if status != nil {
                if stdout < 0 && stderr < 0 && !settling {
                    if kill(-pid, 0) != 0 { break }
                    settle(now)
                } else if drainUntil == nil {
                    drainUntil = now + ProcessRunner.drainSeconds
                } else if let until = drainUntil, now >= until, !settling {
                    if kill(-pid, 0) != 0 { break }
                    settle(now)
                }
            }

            var wait = Double.infinity
            if status == nil, !timedOut { wait = min(wait, deadline - now) }
            if let due = killAt { wait = min(wait, due - now) }
            if status != nil, !settling, let until = drainUntil { wait = min(wait, until - now) }
            if status == nil, pidfd < 0 { wait = min(wait, 0.02) }

            var watched: [pollfd] = []
            if stdout >= 0 { watched.append(pollfd(fd: stdout, events: Int16(POLLIN), revents: 0)) }
            if stderr >= 0 { watched.append(pollfd(fd: stderr, events: Int16(POLLIN), revents: 0)) }
            if status == nil, pidfd >= 0 { watched.append(pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)) }
            if status == nil { watched.append(pollfd(fd: wake, events: Int16(POLLIN), revents: 0)) }
            let milliseconds = wait.isFinite ? Int32(max(0, min(wait * 1000 + 1, 86_400_000))) : -1
            let count = watched.withUnsafeMutableBufferPointer {
                poll($0.baseAddress, nfds_t($0.count), milliseconds)
            }
            if count < 0 && errno != EINTR { break }
            for entry in watched where entry.revents != 0 {
                if entry.fd == stdout {
                    drain(isStdout: true, now: Self.now())
                } else if entry.fd == stderr {
                    drain(isStdout: false, now: Self.now())
                } else if entry.fd == wake {
                    var sink = [UInt8](repeating: 0, count: 16)
                    _ = read(wake, &sink, sink.count)
                }
            }
            if status == nil, pidfd < 0 || watched.contains(where: { $0.fd == pidfd && $0.revents != 0 }) {
                reap()
            }
        }
        if stdout >= 0 { close(stdout) }
        if stderr >= 0 { close(stderr) }
        if pidfd >= 0 { close(pidfd) }
        if status == nil {
            // Only when poll itself failed: make sure nothing of the group outlives the call.
            kill(-pid, SIGKILL)
            var raw: Int32 = 0
            if waitpid(pid, &raw, 0) == pid { status = Self.decode(raw) }
        }
        return SpawnedChild.Result(
            status: status ?? -1, stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: err, as: UTF8.self), stdoutBytes: outBytes, stopped: stopped,
            timedOut: timedOut, cancelled: cancelled)
    }

    /// `SIGTERM` to the group now, `SIGKILL` after the grace period. While the leader is not reaped its id
    /// cannot be reused, so the group id is safe to signal.
    private mutating func terminateGroup(_ now: Double) {
        guard killAt == nil else { return }
        kill(-pid, SIGTERM)
        killAt = now + ProcessRunner.graceSeconds
    }

    /// After the leader's exit and the drain: ends what is left of its group; the pipes close at `killAt`.
    private mutating func settle(_ now: Double) {
        settling = true
        kill(-pid, SIGTERM)
        killAt = now + ProcessRunner.graceSeconds
    }

    private mutating func drain(isStdout: Bool, now: Double) {
        let fd = isStdout ? stdout : stderr
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                keep(count, isStdout: isStdout, now: now)
                continue
            }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            close(fd)
            if isStdout { stdout = -1 } else { stderr = -1 }
            return
        }
    }

    private mutating func keep(_ count: Int, isStdout: Bool, now: Double) {
        if isStdout {
            outBytes += count
            if out.count < limit { out.append(contentsOf: buffer[0..<min(count, limit - out.count)]) }
            if let stopAfter, outBytes > stopAfter, !stopped, status == nil {
                stopped = true
                terminateGroup(now)
            }
        } else if err.count < limit {
            err.append(contentsOf: buffer[0..<min(count, limit - err.count)])
        }
    }

    /// Collects the child's exit status when it has exited.
    private mutating func reap() {
        var raw: Int32 = 0
        let result = waitpid(pid, &raw, WNOHANG)
        if result == 0 { return }
        status = result == pid ? Self.decode(raw) : -1
        if let due = killAt, !settling {
            // The leader is gone; a pending SIGKILL still goes to what is left of its group.
            killAt = due
        }
    }

    private static func decode(_ raw: Int32) -> Int32 {
        let signal = raw & 0x7F
        return signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
    }
}
