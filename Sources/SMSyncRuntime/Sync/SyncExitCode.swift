/// The exit codes of `smsync sync` that depend on what failed locally.
public enum SyncExitCode {
    /// Configuration or input a person must fix, including a state database written by a newer smsync.
    public static let badInput: Int32 = 2
    /// Another run holds the lock.
    public static let locked: Int32 = 4
    /// Local storage failed: the state folder, the lock file, the database or an env file cannot be created or
    /// written (permissions, a read-only or full disk, a damaged database).
    public static let localStorage: Int32 = 6

    /// 4 when another run holds the lock; 6 when the lock file itself cannot be made (its folder is not writable).
    public static func lockFailure(_ error: LockError) -> Int32 {
        switch error {
        case .held: locked
        case .failed: localStorage
        }
    }

    /// 2 for a database written by a newer smsync (refused, left as it is); 6 for every other state failure.
    public static func stateFailure(_ error: StateError) -> Int32 {
        switch error.kind {
        case .newerSchema: badInput
        case .storage: localStorage
        }
    }
}
