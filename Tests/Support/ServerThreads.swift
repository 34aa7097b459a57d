import Foundation

/// Threads of their own for the loopback servers' tasks. Test suites share a cooperative pool as wide as the
/// machine has cores; a CPU-bound suite beside them must not leave a server unable to accept or answer, which
/// the client under test would read as a timeout. A server started with this executor as its task's preference
/// runs its tasks (and the actors they use) on these threads.
public final class ServerThreads: TaskExecutor, @unchecked Sendable {
    public static let shared = ServerThreads(count: 4, name: "smsync.tests.servers")

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var next = 0

    init(count: Int, name: String) {
        for index in 0..<count {
            let thread = Thread { [self] in work() }
            thread.name = "\(name).\(index)"
            thread.start()
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func work() {
        let executor = asUnownedTaskExecutor()
        while true {
            condition.lock()
            while next == jobs.count { condition.wait() }
            let job = jobs[next]
            next += 1
            if next > 1024 {
                jobs.removeFirst(next)
                next = 0
            }
            condition.unlock()
            job.runSynchronously(on: executor)
        }
    }
}
