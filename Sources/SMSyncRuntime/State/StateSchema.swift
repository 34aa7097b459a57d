import GRDB

/// The state database's schema, as an ordered list of migrations. Never edit a migration that has shipped;
/// add a new one.
enum StateSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: runs, fetches, releases, sources, drift, triggers, pull requests") { db in
            try db.execute(
                sql: """
                    CREATE TABLE runs (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        started_at DATETIME NOT NULL,
                        ended_at DATETIME,
                        pid INTEGER NOT NULL,
                        host TEXT NOT NULL,
                        dry_run BOOLEAN NOT NULL,
                        outcome TEXT,
                        updates INTEGER NOT NULL DEFAULT 0,
                        held INTEGER NOT NULL DEFAULT 0,
                        blocked INTEGER NOT NULL DEFAULT 0,
                        sources_failed INTEGER NOT NULL DEFAULT 0,
                        triggers_fired INTEGER NOT NULL DEFAULT 0,
                        triggers_failed INTEGER NOT NULL DEFAULT 0,
                        message TEXT
                    );

                    -- every fetch, for history
                    CREATE TABLE fetches (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                        url TEXT NOT NULL,
                        status INTEGER NOT NULL,
                        etag TEXT,
                        last_modified TEXT,
                        digest TEXT,
                        fetched_at DATETIME NOT NULL
                    );
                    CREATE INDEX fetches_by_run ON fetches(run_id);

                    -- the validators of the last usable (2xx or 304) response per URL
                    CREATE TABLE url_validators (
                        url TEXT PRIMARY KEY NOT NULL,
                        run_id INTEGER NOT NULL,
                        status INTEGER NOT NULL,
                        etag TEXT,
                        last_modified TEXT,
                        digest TEXT,
                        fetched_at DATETIME NOT NULL
                    );

                    CREATE TABLE releases (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        source TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        release_id TEXT,
                        digest TEXT NOT NULL,
                        payload BLOB NOT NULL,
                        first_seen DATETIME NOT NULL,
                        last_seen DATETIME NOT NULL,
                        seen_sequence INTEGER NOT NULL,
                        UNIQUE (source, digest)
                    );
                    CREATE INDEX releases_by_source ON releases(source, seen_sequence);

                    CREATE TABLE source_results (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                        source TEXT NOT NULL,
                        ok BOOLEAN NOT NULL,
                        message TEXT,
                        at DATETIME NOT NULL
                    );
                    CREATE INDEX source_results_by_run ON source_results(run_id);

                    CREATE TABLE source_health (
                        source TEXT PRIMARY KEY NOT NULL,
                        last_success DATETIME,
                        last_failure DATETIME,
                        last_failure_message TEXT,
                        consecutive_failures INTEGER NOT NULL DEFAULT 0,
                        last_run_id INTEGER NOT NULL
                    );

                    CREATE TABLE drift (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                        kernel TEXT NOT NULL,
                        package TEXT NOT NULL,
                        manager TEXT NOT NULL,
                        current TEXT,
                        upstream TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        action TEXT NOT NULL,
                        source TEXT NOT NULL
                    );
                    CREATE INDEX drift_by_run ON drift(run_id);

                    CREATE TABLE triggers (
                        target TEXT NOT NULL,
                        kernel TEXT NOT NULL,
                        manifest_digest TEXT NOT NULL,
                        status TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        last_error TEXT,
                        first_attempt_at DATETIME,
                        last_attempt_at DATETIME,
                        last_run_id INTEGER,
                        PRIMARY KEY (target, kernel, manifest_digest)
                    );
                    CREATE INDEX triggers_by_status ON triggers(status);

                    CREATE TABLE pull_requests (
                        branch TEXT NOT NULL,
                        repo TEXT NOT NULL,
                        number INTEGER NOT NULL,
                        url TEXT NOT NULL,
                        kernels TEXT NOT NULL,
                        head_commit TEXT NOT NULL,
                        opened_at DATETIME NOT NULL,
                        updated_at DATETIME NOT NULL,
                        PRIMARY KEY (branch, repo)
                    );
                    """)
        }
        migrator.registerMigration("v2: the event of each trigger, to retry it after its change was applied") { db in
            try db.execute(sql: "ALTER TABLE triggers ADD COLUMN payload BLOB")
        }
        migrator.registerMigration(
            "v3: fetched bodies, parsed releases by input, and the inputs each source was last processed from"
        ) { db in
            try db.execute(
                sql: """
                    -- the body of the last 2xx response per URL, so a 304 can be read again (by sync or diff)
                    CREATE TABLE url_bodies (
                        url TEXT PRIMARY KEY NOT NULL,
                        digest TEXT NOT NULL,
                        body BLOB NOT NULL,
                        stored_at DATETIME NOT NULL
                    );

                    -- the release parsed from one source's inputs (by sync or diff), so the same inputs are not
                    -- parsed or downloaded again
                    CREATE TABLE source_reads (
                        source TEXT PRIMARY KEY NOT NULL,
                        fingerprint TEXT NOT NULL,
                        payload BLOB NOT NULL,
                        at DATETIME NOT NULL
                    );

                    -- what sync last processed per source: a digest over the URLs and content digests it read
                    CREATE TABLE source_inputs (
                        source TEXT PRIMARY KEY NOT NULL,
                        fingerprint TEXT NOT NULL,
                        run_id INTEGER NOT NULL,
                        at DATETIME NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v5-availability") { db in
            try db.execute(
                sql: """
                    -- updates held because their version could not be installed yet, and since when
                    CREATE TABLE availability_holds (
                        kernel TEXT NOT NULL,
                        package TEXT NOT NULL,
                        manager TEXT NOT NULL,
                        version TEXT NOT NULL,
                        first_seen_unavailable DATETIME NOT NULL,
                        last_seen DATETIME NOT NULL,
                        reason TEXT NOT NULL,
                        PRIMARY KEY (kernel, package, manager)
                    );
                    """)
        }
        return migrator
    }
}
