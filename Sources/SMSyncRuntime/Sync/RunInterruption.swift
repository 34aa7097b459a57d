import Foundation
import Synchronization

/// Why a run is stopped before it ends on its own: its deadline passed, or a signal asked it to stop.
public enum StopReason: Sendable, Equatable {
    /// `sync.deadline_seconds` passed.
    case deadline(seconds: Double)
    /// SIGTERM (systemd stop, Kubernetes eviction) or SIGINT (Ctrl-C).
    case signal(Int32)

    /// The exit code: 128 + the signal (143 for SIGTERM, 130 for SIGINT); for the deadline, 3 while sources are
    /// read and 5 after.
    func exitCode(readingSources: Bool) -> Int32 {
        switch self {
        case .deadline: readingSources ? 3 : 5
        case .signal(let number): 128 + number
        }
    }

    var outcome: RunOutcome {
        switch self {
        case .deadline: .timedOut
        case .signal: .interrupted
        }
    }

    /// What stopped the run, for messages.
    var cause: String {
        switch self {
        case .deadline(let seconds):
            "the run passed its deadline of \(StopReason.seconds(seconds)) s (sync.deadline_seconds)"
        case .signal(let number):
            "stopped by \(StopReason.signalName(number))"
        }
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() && value < 1e15 ? String(Int(value)) : String(value)
    }

    static func signalName(_ number: Int32) -> String {
        switch number {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        case SIGHUP: "SIGHUP"
        default: "signal \(number)"
        }
    }
}

/// The stop request of one run, shared between whoever asks for it (a signal handler, the deadline) and the run.
/// The first reason wins; later ones are ignored.
public final class RunInterruption: Sendable {
    private struct State {
        var reason: StopReason?
        var waiter: CheckedContinuation<StopReason?, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    /// The reason the run was asked to stop, if it was.
    public var reason: StopReason? { state.withLock { $0.reason } }

    /// Asks the run to stop. Safe from any thread; only the first call counts.
    public func stop(_ reason: StopReason) {
        let waiter = state.withLock { state -> CheckedContinuation<StopReason?, Never>? in
            guard state.reason == nil else { return nil }
            state.reason = reason
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: reason)
    }

    /// Waits until the run is asked to stop; nil when the waiting task is cancelled first. One waiter at a time.
    func nextStop() async -> StopReason? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> StopReason?? in
                    if let reason = state.reason { return .some(reason) }
                    if Task.isCancelled { return .some(nil) }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<StopReason?, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
    }
}

/// What a stopped run must know of the live one: its id, whether it is still reading sources, and whether a file
/// write is under way (a stop never cuts one short).
final class RunProgress: Sendable {
    private struct State {
        var runID: Int64?
        var readingSources = true
        var writing = false
        var writeWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    var runID: Int64? { state.withLock { $0.runID } }
    var readingSources: Bool { state.withLock { $0.readingSources } }

    func began(runID: Int64) { state.withLock { $0.runID = runID } }
    func sourcesRead() { state.withLock { $0.readingSources = false } }

    /// Marks a file write as under way, unless `stopped` says the run is stopping: then false, and nothing may
    /// be written.
    func beginWrite(unless stopped: () -> Bool) -> Bool {
        state.withLock { state in
            if stopped() { return false }
            state.writing = true
            return true
        }
    }

    func endWrite() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.writing = false
            defer { state.writeWaiters = [] }
            return state.writeWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once no file write is under way.
    func writesFinished() async {
        await withCheckedContinuation { continuation in
            let idle = state.withLock { state -> Bool in
                if !state.writing { return true }
                state.writeWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }
}

/// The outcome of a run, delivered once by whichever finishes first: the run itself, or the stop that gave up
/// waiting for it.
final class OutcomeSlot: Sendable {
    private struct State {
        var outcome: SyncOutcome?
        var waiter: CheckedContinuation<SyncOutcome, Never>?
    }

    private let state = Mutex(State())

    /// Delivers `outcome` unless one was delivered already; true when this one counts.
    @discardableResult
    func deliver(_ outcome: SyncOutcome) -> Bool {
        let (accepted, waiter) = state.withLock { state -> (Bool, CheckedContinuation<SyncOutcome, Never>?) in
            guard state.outcome == nil else { return (false, nil) }
            state.outcome = outcome
            defer { state.waiter = nil }
            return (true, state.waiter)
        }
        waiter?.resume(returning: outcome)
        return accepted
    }

    func value() async -> SyncOutcome {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> SyncOutcome? in
                if let outcome = state.outcome { return outcome }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
