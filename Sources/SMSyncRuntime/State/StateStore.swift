import Foundation
import GRDB
import SMSync

/// The state of `smsync sync` in one SQLite file: runs, fetch validators, releases seen, source health, drift,
/// rebuild triggers and pull requests.
///
/// The file is in WAL mode with `synchronous = FULL`, and every method is one transaction, so a process killed at
/// any moment leaves the last committed step intact and nothing half-written. The schema is migrated on open; a
/// database written by a newer smsync is refused rather than misread. Messages are passed through a ``Redactor``
/// before they are stored, and no method takes a token: the database holds no secrets.
public final class StateStore: Sendable {
    /// The database file.
    public let path: String
    /// Applied to every message and URL before it is stored.
    public let redactor: Redactor
    private let queue: DatabaseQueue

    /// Opens (creating it and its parent folders when missing) and migrates the database at `path`.
    /// `secrets` are literal values (tokens in use) that are redacted from stored text besides the usual patterns.
    public init(path: String, secrets: [String] = []) throws(StateError) {
        self.path = path
        self.redactor = Redactor(secrets: secrets)
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            do {
                try FileManager.default.createDirectory(
                    atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw StateError(
                    path: path, operation: "create the folder \(folder)", reason: "\(error)",
                    hint: "set `state:` in the configuration to a writable path")
            }
        }
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.busyMode = .timeout(10)
        configuration.label = "smsync.state"
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw StateError(
                path: path, operation: "open", reason: "\(error)",
                hint: "check that the file is an SQLite database and is writable")
        }
        self.queue = queue
        let migrator = StateSchema.migrator
        do {
            let unknown = try queue.read { db in try Self.unknownMigrations(db, migrator: migrator) }
            if !unknown.isEmpty {
                throw StateError(
                    path: path, operation: "open",
                    reason: "it was written by a newer version of smsync (schema migrations this version does not "
                        + "know: \(unknown.joined(separator: ", ")))",
                    hint: "schema migrations are forward-only: upgrade smsync to the version that wrote it, restore "
                        + "the copy saved before the upgrade, or point `state:` at another file; the file was left as "
                        + "it is",
                    kind: .newerSchema(unknown: unknown))
            }
            try migrator.migrate(queue)
        } catch let error as StateError {
            throw error
        } catch {
            throw StateError(path: path, operation: "migrate the schema", reason: "\(error)")
        }
    }

    /// Where the state lives: `configured` when given, else `$XDG_STATE_HOME/smsync/state.db`, else
    /// `~/.local/state/smsync/state.db` (with `$HOME`, or the current user's home folder).
    public static func defaultPath(configured: String?, environment: [String: String]) -> String {
        if let configured, !configured.isEmpty { return configured }
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") {
            return state.trimmingSuffix("/") + "/smsync/state.db"
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home.trimmingSuffix("/") + "/.local/state/smsync/state.db"
    }

    /// Migrations recorded in the file that this build does not know (GRDB's `grdb_migrations` table against the
    /// registered ones); empty for a new file or one written by this or an older version.
    static func unknownMigrations(_ db: Database, migrator: DatabaseMigrator) throws -> [String] {
        guard try db.tableExists("grdb_migrations") else { return [] }
        let applied = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid")
        let known = Set(migrator.migrations)
        return applied.filter { !known.contains($0) }
    }

    /// Whether a pull request was ever recorded for `repo`.
    public func hasPullRequests(repo: String) throws(StateError) -> Bool {
        try read("read the pull requests of \(repo)") { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM pull_requests WHERE repo = ?)", arguments: [repo])
                ?? false
        }
    }

    /// The identifiers of the migrations applied to the file, in order.
    public func appliedMigrations() throws(StateError) -> [String] {
        try read("read the schema version") { db in try StateSchema.migrator.appliedMigrations(db) }
    }

    // MARK: Runs

    /// Records the start of a run and returns its id.
    public func beginRun(startedAt: Date, pid: Int32, host: String, dryRun: Bool) throws(StateError) -> Int64 {
        try write("record the start of a run") { db in
            try db.execute(
                sql: "INSERT INTO runs (started_at, pid, host, dry_run) VALUES (?, ?, ?, ?)",
                arguments: [startedAt, pid, host, dryRun])
            return db.lastInsertedRowID
        }
    }

    /// Records how a run ended.
    public func finishRun(
        _ id: Int64, endedAt: Date, outcome: RunOutcome, counts: RunCounts, message: String?
    ) throws(StateError) {
        let message = redactor.redact(message)
        try write("record the end of run \(id)") { db in
            try db.execute(
                sql: """
                    UPDATE runs SET ended_at = ?, outcome = ?, updates = ?, held = ?, blocked = ?,
                        sources_failed = ?, triggers_fired = ?, triggers_failed = ?, message = ?
                    WHERE id = ?
                    """,
                arguments: [
                    endedAt, outcome.rawValue, counts.updates, counts.held, counts.blocked, counts.sourcesFailed,
                    counts.triggersFired, counts.triggersFailed, message, id,
                ])
            guard db.changesCount == 1 else { throw StateStoreFailure("there is no run \(id)") }
        }
    }

    /// Marks every run without an end as ``RunOutcome/interrupted`` and returns their ids. Call it only while
    /// holding the ``RunLock``: then no other run is live, so an unfinished run belongs to a process that died.
    @discardableResult
    public func closeUnfinishedRuns(endedAt: Date) throws(StateError) -> [Int64] {
        try write("close unfinished runs") { db in
            let ids = try Int64.fetchAll(db, sql: "SELECT id FROM runs WHERE ended_at IS NULL ORDER BY id")
            try db.execute(
                sql: """
                    UPDATE runs SET ended_at = ?, outcome = ?,
                        message = COALESCE(message, 'the run did not finish (its process died)')
                    WHERE ended_at IS NULL
                    """,
                arguments: [endedAt, RunOutcome.interrupted.rawValue])
            return ids
        }
    }

    /// Deletes all but the newest `keeping` runs, with their fetches, source results and drift. Validators,
    /// releases, source health, triggers and pull requests are kept. Returns how many runs were deleted.
    @discardableResult
    public func pruneRuns(keeping: Int) throws(StateError) -> Int {
        try write("prune old runs") { db in
            try db.execute(
                sql: "DELETE FROM runs WHERE id NOT IN (SELECT id FROM runs ORDER BY id DESC LIMIT ?)",
                arguments: [max(0, keeping)])
            return db.changesCount
        }
    }

    /// Deletes the runs that started before `cutoff` (`state.retention_days` ago), with their fetches,
    /// source results and drift; the newest run is always kept. Returns how many runs were deleted.
    /// Freed pages are reused by later runs, so the file stops growing once runs come and go at the same rate.
    @discardableResult
    public func pruneRuns(startedBefore cutoff: Date) throws(StateError) -> Int {
        try write("prune runs older than the retention") { db in
            try db.execute(
                sql: "DELETE FROM runs WHERE started_at < ? AND id <> (SELECT MAX(id) FROM runs)",
                arguments: [cutoff])
            return db.changesCount
        }
    }

    /// The newest runs first.
    public func runs(limit: Int) throws(StateError) -> [RunRecord] {
        try read("read the runs") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY id DESC LIMIT ?", arguments: [max(0, limit)])
                .map(Self.run)
        }
    }

    /// One run by id.
    public func run(_ id: Int64) throws(StateError) -> RunRecord? {
        try read("read run \(id)") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id]).map(Self.run)
        }
    }

    private static func run(_ row: Row) throws -> RunRecord {
        let outcome: String? = try row.decode(forColumn: "outcome")
        return RunRecord(
            id: try row.decode(forColumn: "id"), startedAt: try row.decode(forColumn: "started_at"),
            endedAt: try row.decode(forColumn: "ended_at"), pid: try row.decode(forColumn: "pid"),
            host: try row.decode(forColumn: "host"), dryRun: try row.decode(forColumn: "dry_run"),
            outcome: outcome.map { RunOutcome(rawValue: $0) ?? .failed },
            counts: RunCounts(
                updates: try row.decode(forColumn: "updates"), held: try row.decode(forColumn: "held"),
                blocked: try row.decode(forColumn: "blocked"),
                sourcesFailed: try row.decode(forColumn: "sources_failed"),
                triggersFired: try row.decode(forColumn: "triggers_fired"),
                triggersFailed: try row.decode(forColumn: "triggers_failed")),
            message: try row.decode(forColumn: "message"))
    }

    // MARK: Fetches

    /// The validators and digest of the last usable response (2xx or 304) for `url`, for a conditional request.
    public func lastFetch(url: String) throws(StateError) -> FetchRecord? {
        let key = redactor.redact(url)
        return try read("read the last fetch of \(key)") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM url_validators WHERE url = ?", arguments: [key]).map { row in
                FetchRecord(
                    url: try row.decode(forColumn: "url"), etag: try row.decode(forColumn: "etag"),
                    lastModified: try row.decode(forColumn: "last_modified"),
                    digest: try row.decode(forColumn: "digest"),
                    status: try row.decode(forColumn: "status"), fetchedAt: try row.decode(forColumn: "fetched_at"),
                    runID: try row.decode(forColumn: "run_id"))
            }
        }
    }

    /// Records one fetch in the run's history and, for a usable response, as the URL's validators.
    ///
    /// A 2xx replaces the validators and digest (and the cached body, when `body` is given). A 304 keeps the
    /// stored ones, except for validators the server sent again. Any other status is history only: the
    /// validators of the last good content stay. Without a `runID` (a `diff`, which records no run) only the
    /// cache is written: validators and body, no history.
    /// The URL is stored redacted (signed query parameters, user info), and looked up the same way.
    public func recordFetch(
        runID: Int64?, url: String, status: Int, etag: String?, lastModified: String?, digest: String?, at: Date,
        body: [UInt8]? = nil
    ) throws(StateError) {
        let key = redactor.redact(url)
        try write("record the fetch of \(key)") { db in
            if let runID {
                try db.execute(
                    sql: """
                        INSERT INTO fetches (run_id, url, status, etag, last_modified, digest, fetched_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [runID, key, status, etag, lastModified, digest, at])
            }
            let runID = runID ?? 0
            if (200..<300).contains(status) {
                try db.execute(
                    sql: """
                        INSERT OR REPLACE INTO url_validators (url, run_id, status, etag, last_modified, digest, fetched_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [key, runID, status, etag, lastModified, digest, at])
                if let body, let digest {
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO url_bodies (url, digest, body, stored_at) VALUES (?, ?, ?, ?)",
                        arguments: [key, digest, Data(body), at])
                } else {
                    try db.execute(sql: "DELETE FROM url_bodies WHERE url = ?", arguments: [key])
                }
            } else if status == 304 {
                try db.execute(
                    sql: """
                        UPDATE url_validators SET run_id = ?, status = 304, etag = COALESCE(?, etag),
                            last_modified = COALESCE(?, last_modified), digest = COALESCE(?, digest), fetched_at = ?
                        WHERE url = ?
                        """,
                    arguments: [runID, etag, lastModified, digest, at, key])
            }
        }
    }

    /// The body last received in full for `url` (with its digest), when it was kept.
    public func cachedBody(url: String) throws(StateError) -> (digest: String, body: [UInt8])? {
        let key = redactor.redact(url)
        return try read("read the cached body of \(key)") { db in
            try Row.fetchOne(db, sql: "SELECT digest, body FROM url_bodies WHERE url = ?", arguments: [key]).map {
                row in
                let data: Data = try row.decode(forColumn: "body")
                return (try row.decode(forColumn: "digest"), Array(data))
            }
        }
    }

    /// Records the fingerprint of the inputs (URLs and content digests) `source` was processed from in a run.
    public func recordSourceInputs(source: String, fingerprint: String, runID: Int64, at: Date) throws(StateError) {
        try write("record the inputs of \(source)") { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO source_inputs (source, fingerprint, run_id, at) VALUES (?, ?, ?, ?)
                    """,
                arguments: [source, fingerprint, runID, at])
        }
    }

    /// Keeps the release parsed from `source`'s inputs with that `fingerprint` (one per source: the newest).
    public func recordSourceRead(
        source: String, fingerprint: String, release: UpstreamRelease, at: Date
    )
        throws(StateError)
    {
        let payload = redactor.redact(try encode(release))
        try write("record the parsed release of \(source)") { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO source_reads (source, fingerprint, payload, at) VALUES (?, ?, ?, ?)",
                arguments: [source, fingerprint, payload, at])
        }
    }

    /// The release parsed from `source`'s inputs when they had this `fingerprint`, if it was kept.
    public func sourceRead(source: String, fingerprint: String) throws(StateError) -> UpstreamRelease? {
        let payload = try read("read the parsed release of \(source)") { db in
            try Data.fetchOne(
                db, sql: "SELECT payload FROM source_reads WHERE source = ? AND fingerprint = ?",
                arguments: [source, fingerprint])
        }
        guard let payload else { return nil }
        do {
            return try JSONDecoder().decode(UpstreamReleaseArchive.self, from: payload).release
        } catch {
            return nil
        }
    }

    /// The fingerprint of the inputs `source` was last processed from by a sync run.
    public func sourceInputs(source: String) throws(StateError) -> String? {
        try read("read the inputs of \(source)") { db in
            try String.fetchOne(db, sql: "SELECT fingerprint FROM source_inputs WHERE source = ?", arguments: [source])
        }
    }

    /// The fetches of one run, in the order they were recorded.
    public func fetches(runID: Int64) throws(StateError) -> [FetchRecord] {
        try read("read the fetches of run \(runID)") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM fetches WHERE run_id = ? ORDER BY id", arguments: [runID]).map {
                row in
                FetchRecord(
                    url: try row.decode(forColumn: "url"), etag: try row.decode(forColumn: "etag"),
                    lastModified: try row.decode(forColumn: "last_modified"),
                    digest: try row.decode(forColumn: "digest"),
                    status: try row.decode(forColumn: "status"), fetchedAt: try row.decode(forColumn: "fetched_at"),
                    runID: try row.decode(forColumn: "run_id"))
            }
        }
    }

    // MARK: Releases

    /// Records that `source` has content `digest` (its parsed release in `payload`). Returns true when this
    /// (source, digest) was never seen before; otherwise marks it as seen again, keeping its first payload.
    /// Content that comes back (A, then B, then A again) is not new, but becomes the source's last release.
    public func recordRelease(
        source: String, kind: String, releaseID: String?, digest: String, payload: Data, at: Date
    ) throws(StateError) -> Bool {
        let payload = redactor.redact(payload)
        let releaseID = redactor.redact(releaseID)
        return try write("record a release of \(source)") { db in
            let sequence =
                try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seen_sequence), 0) + 1 FROM releases") ?? 1
            try db.execute(
                sql: """
                    UPDATE releases SET last_seen = ?, seen_sequence = ?, release_id = COALESCE(?, release_id)
                    WHERE source = ? AND digest = ?
                    """,
                arguments: [at, sequence, releaseID, source, digest])
            if db.changesCount > 0 { return false }
            try db.execute(
                sql: """
                    INSERT INTO releases (source, kind, release_id, digest, payload, first_seen, last_seen, seen_sequence)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [source, kind, releaseID, digest, payload, at, at, sequence])
            return true
        }
    }

    /// Records a parsed release, encoded with ``encode(_:)``. See ``recordRelease(source:kind:releaseID:digest:payload:at:)``.
    public func recordRelease(
        source: String, release: UpstreamRelease, digest: String, at: Date
    ) throws(StateError) -> Bool {
        try recordRelease(
            source: source, kind: release.kind.rawValue, releaseID: release.release, digest: digest,
            payload: try encode(release), at: at)
    }

    /// The release `source` was last seen with.
    public func lastRelease(source: String) throws(StateError) -> StoredRelease? {
        try read("read the last release of \(source)") { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM releases WHERE source = ? ORDER BY seen_sequence DESC LIMIT 1",
                arguments: [source]
            ).map { row in
                StoredRelease(
                    source: try row.decode(forColumn: "source"), kind: try row.decode(forColumn: "kind"),
                    releaseID: try row.decode(forColumn: "release_id"), digest: try row.decode(forColumn: "digest"),
                    payload: try row.decode(forColumn: "payload"), firstSeen: try row.decode(forColumn: "first_seen"),
                    lastSeen: try row.decode(forColumn: "last_seen"))
            }
        }
    }

    /// The JSON that ``recordRelease(source:release:digest:at:)`` stores: an ``UpstreamReleaseArchive`` with sorted
    /// keys, so equal releases give equal bytes.
    public func encode(_ release: UpstreamRelease) throws(StateError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            return try encoder.encode(UpstreamReleaseArchive(release))
        } catch {
            throw StateError(path: path, operation: "encode a release", reason: "\(error)")
        }
    }

    /// Decodes a stored payload back into the release it was made from.
    public func decodeRelease(_ stored: StoredRelease) throws(StateError) -> UpstreamRelease {
        do {
            return try JSONDecoder().decode(UpstreamReleaseArchive.self, from: stored.payload).release
        } catch {
            throw StateError(
                path: path, operation: "read the stored release of \(stored.source)", reason: "\(error)",
                hint: "fetch the source again without validators to replace it")
        }
    }

    // MARK: Sources

    /// Records whether a source was read successfully in a run; the message is redacted.
    public func recordSourceResult(
        runID: Int64, source: String, ok: Bool, message: String?, at: Date
    ) throws(StateError) {
        let message = redactor.redact(message)
        try write("record the result of \(source)") { db in
            try db.execute(
                sql: "INSERT INTO source_results (run_id, source, ok, message, at) VALUES (?, ?, ?, ?, ?)",
                arguments: [runID, source, ok, message, at])
            if ok {
                try db.execute(
                    sql: """
                        INSERT INTO source_health (source, last_success, consecutive_failures, last_run_id)
                        VALUES (?, ?, 0, ?)
                        ON CONFLICT (source) DO UPDATE SET last_success = excluded.last_success,
                            consecutive_failures = 0, last_run_id = excluded.last_run_id
                        """,
                    arguments: [source, at, runID])
            } else {
                try db.execute(
                    sql: """
                        INSERT INTO source_health (source, last_failure, last_failure_message, consecutive_failures,
                            last_run_id)
                        VALUES (?, ?, ?, 1, ?)
                        ON CONFLICT (source) DO UPDATE SET last_failure = excluded.last_failure,
                            last_failure_message = excluded.last_failure_message,
                            consecutive_failures = consecutive_failures + 1, last_run_id = excluded.last_run_id
                        """,
                    arguments: [source, at, message, runID])
            }
        }
    }

    /// Every source ever recorded, by name.
    public func sourceHealth() throws(StateError) -> [SourceHealth] {
        try read("read the source health") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM source_health ORDER BY source").map { row in
                SourceHealth(
                    source: try row.decode(forColumn: "source"), lastSuccess: try row.decode(forColumn: "last_success"),
                    lastFailure: try row.decode(forColumn: "last_failure"),
                    lastFailureMessage: try row.decode(forColumn: "last_failure_message"),
                    consecutiveFailures: try row.decode(forColumn: "consecutive_failures"),
                    lastRunID: try row.decode(forColumn: "last_run_id"))
            }
        }
    }

    // MARK: Drift

    /// Records a run's drift, all rows in one transaction.
    public func recordDrift(runID: Int64, rows: [DriftRow]) throws(StateError) {
        try write("record the drift of run \(runID)") { db in
            let statement = try db.makeStatement(
                sql: """
                    INSERT INTO drift (run_id, kernel, package, manager, current, upstream, kind, action, source)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for row in rows {
                try statement.execute(arguments: [
                    runID, row.kernel, row.package, row.manager, row.current, row.upstream, row.kind, row.action,
                    row.source,
                ])
            }
        }
    }

    /// A run's drift, in the order it was recorded.
    public func drift(runID: Int64) throws(StateError) -> [DriftRow] {
        try read("read the drift of run \(runID)") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM drift WHERE run_id = ? ORDER BY id", arguments: [runID]).map {
                row in
                DriftRow(
                    kernel: try row.decode(forColumn: "kernel"), package: try row.decode(forColumn: "package"),
                    manager: try row.decode(forColumn: "manager"), current: try row.decode(forColumn: "current"),
                    upstream: try row.decode(forColumn: "upstream"), kind: try row.decode(forColumn: "kind"),
                    action: try row.decode(forColumn: "action"), source: try row.decode(forColumn: "source"))
            }
        }
    }

    // MARK: Availability

    /// Records what this run found for the checked updates, in one transaction, and returns since when each
    /// unavailable one has been unavailable. A package's row is kept while the same version stays unavailable (its
    /// first sighting stays), replaced when a different version is held, and cleared once its update is available.
    public func recordAvailability(
        _ checks: [AvailabilityObservation], at date: Date
    ) throws(StateError)
        -> [AvailabilityObservation: Date]
    {
        try write("record the availability of \(checks.count) updates") { db in
            var since: [AvailabilityObservation: Date] = [:]
            for check in checks {
                let existing = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT version, first_seen_unavailable FROM availability_holds
                        WHERE kernel = ? AND package = ? AND manager = ?
                        """, arguments: [check.kernel, check.package, check.manager])
                guard let reason = check.unavailableReason else {
                    try db.execute(
                        sql: "DELETE FROM availability_holds WHERE kernel = ? AND package = ? AND manager = ?",
                        arguments: [check.kernel, check.package, check.manager])
                    continue
                }
                var first = date
                if let existing, (try existing.decode(String.self, forColumn: "version")) == check.version {
                    first = try existing.decode(Date.self, forColumn: "first_seen_unavailable")
                }
                try db.execute(
                    sql: """
                        INSERT INTO availability_holds
                            (kernel, package, manager, version, first_seen_unavailable, last_seen, reason)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (kernel, package, manager) DO UPDATE SET
                            version = excluded.version, first_seen_unavailable = excluded.first_seen_unavailable,
                            last_seen = excluded.last_seen, reason = excluded.reason
                        """,
                    arguments: [
                        check.kernel, check.package, check.manager, check.version, first, date,
                        redactor.redact(reason),
                    ])
                since[check] = first
            }
            return since
        }
    }

    /// The updates held as unavailable, oldest first.
    public func availabilityHolds() throws(StateError) -> [AvailabilityHold] {
        try read("read the availability holds") { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM availability_holds ORDER BY first_seen_unavailable, kernel, package"
            )
            .map { row in
                AvailabilityHold(
                    kernel: try row.decode(forColumn: "kernel"), package: try row.decode(forColumn: "package"),
                    manager: try row.decode(forColumn: "manager"), version: try row.decode(forColumn: "version"),
                    firstSeenUnavailable: try row.decode(forColumn: "first_seen_unavailable"),
                    lastSeen: try row.decode(forColumn: "last_seen"), reason: try row.decode(forColumn: "reason"))
            }
        }
    }

    // MARK: Triggers

    /// The default number of failed attempts after which a trigger is abandoned.
    public static let defaultMaxTriggerAttempts = 5

    /// The trigger for (target, kernel, manifest digest), if it was ever attempted. A `succeeded` record means
    /// it must not be fired again.
    public func trigger(target: String, kernel: String, manifestDigest: String) throws(StateError) -> TriggerRecord? {
        try read("read the trigger \(target) for \(kernel)") { db in
            try Self.trigger(db, target: target, kernel: kernel, manifestDigest: manifestDigest)
        }
    }

    /// Records one attempt to fire a trigger: attempts += 1, and the status becomes `succeeded`, `failed` (retried
    /// on the next run) or, once `maxAttempts` attempts have failed, `abandoned`. A trigger that once succeeded
    /// stays `succeeded`. The error is redacted.
    @discardableResult
    public func recordTriggerAttempt(
        runID: Int64, target: String, kernel: String, manifestDigest: String, succeeded: Bool, error: String?,
        at: Date, maxAttempts: Int = StateStore.defaultMaxTriggerAttempts, payload: Data? = nil
    ) throws(StateError) -> TriggerRecord {
        let message = redactor.redact(error)
        let payload = payload.map { redactor.redact($0) }
        return try write("record an attempt of the trigger \(target) for \(kernel)") { db in
            let previous = try Self.trigger(db, target: target, kernel: kernel, manifestDigest: manifestDigest)
            let attempts = (previous?.attempts ?? 0) + 1
            let status: TriggerStatus =
                if succeeded || previous?.status == .succeeded {
                    .succeeded
                } else if attempts >= max(1, maxAttempts) {
                    .abandoned
                } else {
                    .failed
                }
            try db.execute(
                sql: """
                    INSERT INTO triggers (target, kernel, manifest_digest, status, attempts, last_error,
                        first_attempt_at, last_attempt_at, last_run_id, payload)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (target, kernel, manifest_digest) DO UPDATE SET status = excluded.status,
                        attempts = excluded.attempts, last_error = excluded.last_error,
                        last_attempt_at = excluded.last_attempt_at, last_run_id = excluded.last_run_id,
                        payload = COALESCE(excluded.payload, triggers.payload)
                    """,
                arguments: [
                    target, kernel, manifestDigest, status.rawValue, attempts, succeeded ? nil : message, at, at, runID,
                    payload,
                ])
            guard let record = try Self.trigger(db, target: target, kernel: kernel, manifestDigest: manifestDigest)
            else { throw StateStoreFailure("the trigger row vanished after it was written") }
            return record
        }
    }

    /// One trigger a run is about to cause: recorded as pending before the run changes anything.
    public struct PlannedTrigger: Sendable, Hashable {
        public var target: String
        public var kernel: String
        public var manifestDigest: String
        /// The rebuild event (JSON) to send, also when a later run fires it.
        public var payload: Data

        public init(target: String, kernel: String, manifestDigest: String, payload: Data) {
            self.target = target
            self.kernel = kernel
            self.manifestDigest = manifestDigest
            self.payload = payload
        }
    }

    /// Records every trigger of a run as `pending`, in one transaction, before the run writes a file, publishes
    /// a branch or fires anything: a run killed at any later point leaves them pending, and the next run fires
    /// them. A trigger already known keeps its status and attempts (a succeeded one is never fired again); a
    /// pending or failed one takes the newer payload.
    public func recordPendingTriggers(runID: Int64, _ triggers: [PlannedTrigger]) throws(StateError) {
        guard !triggers.isEmpty else { return }
        try write("record \(triggers.count) pending trigger(s)") { db in
            for trigger in triggers {
                try db.execute(
                    sql: """
                        INSERT INTO triggers (target, kernel, manifest_digest, status, attempts, last_run_id, payload)
                        VALUES (?, ?, ?, 'pending', 0, ?, ?)
                        ON CONFLICT (target, kernel, manifest_digest) DO UPDATE SET payload = excluded.payload
                        WHERE triggers.status IN ('pending', 'failed')
                        """,
                    arguments: [trigger.target, trigger.kernel, trigger.manifestDigest, runID, trigger.payload])
            }
        }
    }

    /// Triggers whose last attempt failed and that may still be retried (fewer than `maxAttempts` attempts),
    /// oldest first.
    public func pendingTriggers(
        maxAttempts: Int = StateStore.defaultMaxTriggerAttempts
    ) throws(StateError)
        -> [TriggerRecord]
    {
        try read("read the pending triggers") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM triggers WHERE status IN ('failed', 'pending') AND attempts < ?
                    ORDER BY first_attempt_at, target, kernel
                    """,
                arguments: [max(1, maxAttempts)]
            ).map(Self.trigger)
        }
    }

    /// Triggers in one status, most recently attempted first.
    public func triggers(status: TriggerStatus, limit: Int = 100) throws(StateError) -> [TriggerRecord] {
        try read("read the \(status.rawValue) triggers") { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM triggers WHERE status = ? ORDER BY last_attempt_at DESC, target, kernel LIMIT ?",
                arguments: [status.rawValue, max(0, limit)]
            ).map(Self.trigger)
        }
    }

    private static func trigger(
        _ db: Database, target: String, kernel: String, manifestDigest: String
    ) throws
        -> TriggerRecord?
    {
        try Row.fetchOne(
            db, sql: "SELECT * FROM triggers WHERE target = ? AND kernel = ? AND manifest_digest = ?",
            arguments: [target, kernel, manifestDigest]
        ).map(trigger)
    }

    private static func trigger(_ row: Row) throws -> TriggerRecord {
        let status: String = try row.decode(forColumn: "status")
        return TriggerRecord(
            target: try row.decode(forColumn: "target"), kernel: try row.decode(forColumn: "kernel"),
            manifestDigest: try row.decode(forColumn: "manifest_digest"),
            status: TriggerStatus(rawValue: status) ?? .failed, attempts: try row.decode(forColumn: "attempts"),
            lastError: try row.decode(forColumn: "last_error"),
            firstAttemptAt: try row.decode(forColumn: "first_attempt_at"),
            lastAttemptAt: try row.decode(forColumn: "last_attempt_at"),
            lastRunID: try row.decode(forColumn: "last_run_id"), payload: try row.decode(forColumn: "payload"))
    }

    // MARK: Pull requests

    /// Records the pull request open for `branch` in `repo`, replacing what was recorded for them (the first
    /// `openedAt` is kept).
    public func recordPullRequest(
        branch: String, repo: String, number: Int, url: String, kernels: [String], headCommit: String, at: Date
    ) throws(StateError) {
        let kernelsText = JSONValue.array(kernels.map { .string($0) }).serialized(pretty: false)
        try write("record the pull request \(repo)#\(number)") { db in
            try db.execute(
                sql: """
                    INSERT INTO pull_requests (branch, repo, number, url, kernels, head_commit, opened_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (branch, repo) DO UPDATE SET number = excluded.number, url = excluded.url,
                        kernels = excluded.kernels, head_commit = excluded.head_commit,
                        updated_at = excluded.updated_at,
                        opened_at = CASE WHEN number = excluded.number THEN opened_at ELSE excluded.opened_at END
                    """,
                arguments: [branch, repo, number, url, kernelsText, headCommit, at, at])
        }
    }

    /// The pull request recorded for `branch` in `repo`.
    public func pullRequest(branch: String, repo: String) throws(StateError) -> PullRequestRecord? {
        try read("read the pull request of \(branch)") { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM pull_requests WHERE branch = ? AND repo = ?", arguments: [branch, repo]
            ).map { row in
                let kernelsText: String = try row.decode(forColumn: "kernels")
                let kernels = try JSONDecoder().decode([String].self, from: Data(kernelsText.utf8))
                return PullRequestRecord(
                    branch: try row.decode(forColumn: "branch"), repo: try row.decode(forColumn: "repo"),
                    number: try row.decode(forColumn: "number"), url: try row.decode(forColumn: "url"),
                    kernels: kernels, headCommit: try row.decode(forColumn: "head_commit"),
                    openedAt: try row.decode(forColumn: "opened_at"), updatedAt: try row.decode(forColumn: "updated_at")
                )
            }
        }
    }

    // MARK: Plumbing

    /// Moves the write-ahead log into the database and truncates it: the end of each run leaves the state as
    /// one small file, whether or not the process gets to close the database.
    public func checkpoint() throws(StateError) {
        do {
            try queue.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        } catch {
            throw wrap(error, "checkpoint")
        }
    }

    private func write<T>(_ operation: String, _ body: (Database) throws -> T) throws(StateError) -> T {
        do {
            return try queue.write(body)
        } catch {
            throw wrap(error, operation)
        }
    }

    private func read<T>(_ operation: String, _ body: (Database) throws -> T) throws(StateError) -> T {
        do {
            return try queue.read(body)
        } catch {
            throw wrap(error, operation)
        }
    }

    private func wrap(_ error: any Error, _ operation: String) -> StateError {
        if let error = error as? StateError { return error }
        if let failure = error as? StateStoreFailure {
            return StateError(path: path, operation: operation, reason: failure.reason)
        }
        if let error = error as? DatabaseError {
            let hint: String? =
                switch error.resultCode {
                case .SQLITE_BUSY, .SQLITE_LOCKED: "another process is writing the state; try again"
                case .SQLITE_CORRUPT, .SQLITE_NOTADB: "the file is damaged; move it aside to start afresh"
                case .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM: "check the permissions of the file and folder"
                case .SQLITE_FULL: "the disk is full"
                default: nil
                }
            let reason = error.message.map { "\($0) (SQLite error \(error.resultCode.rawValue))" } ?? "\(error)"
            return StateError(path: path, operation: operation, reason: reason, hint: hint)
        }
        return StateError(path: path, operation: operation, reason: "\(error)")
    }
}

/// A failure found by the store's own checks inside a transaction (which it rolls back).
struct StateStoreFailure: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        var result = self
        while result.count > 1, result.hasSuffix(suffix) { result.removeLast(suffix.count) }
        return result
    }
}
