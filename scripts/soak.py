#!/usr/bin/env python3
"""Soak test: many scheduled `smsync sync` runs against a loopback world with random faults.

The world is a copy of the demo image (Fixtures/demo/image) and one loopback HTTP server that plays the
notebook-instance export folder (env-export), the AWS docs kernel page (aws-docs) and a webhook receiver that
records every delivery with its X-Smsync-Delivery id. A command trigger (a short Python script) runs too.

Before each run the driver may change the upstream (a new boto3 in the export, a new TensorFlow on the docs
page), arm a fault for the next requests to one path (500, 429 with Retry-After, a hang past the HTTP timeout,
a truncated body, a gzip bomb, a failing webhook), and schedule a kill -9 of smsync at a random moment.

After each run it checks: every env file parses and holds the same packages as before (no torn file), no
`*.smsync-*` temporary file is left (reported), the next run after a kill never exits 4 (the lock is
recoverable), no process of smsync's session outlives it by more than a few seconds (no leaked child), and it
records the database size and smsync's open descriptors. At the end it settles (runs without faults until
nothing is pending) and compares the env-file changes it saw with the webhook deliveries: every change
delivered at least once (no lost trigger), duplicates (the same delivery id more than once) counted.

    python3 scripts/soak.py                 # 300 runs, release build
    python3 scripts/soak.py --quick         # 30 runs
    python3 scripts/soak.py --runs 1000 --seed 7 --binary .build/debug/smsync

Exit status: 0 when no check failed, 1 otherwise. Never part of `swift test`.
"""

import argparse
import glob
import gzip
import hashlib
import http.server
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOOK_SECRET = "soak-hook-secret-7c1e"
FAULTS = ["500", "429", "hang", "truncate", "bomb", "hook500"]


class Upstream:
    """What the loopback server serves, changed by the driver between runs."""

    def __init__(self, exports_dir, docs_path):
        self.lock = threading.Lock()
        self.exports = {}
        for name in os.listdir(exports_dir):
            with open(os.path.join(exports_dir, name), "rb") as handle:
                self.exports[name] = handle.read()
        with open(docs_path, "r", encoding="utf-8") as handle:
            self.docs_template = handle.read()
        self.tf_patch = 1  # TensorFlow 2.14.<patch> on the docs page
        self.boto_patch = 40  # boto3 1.35.<patch> in python3_pip.txt
        self.faults = []  # [path prefix, kind, remaining]
        self.hooks = []  # (delivery id, body)
        self.fault_hits = {}
        self.hang_seconds = 6.0
        self.bomb = gzip.compress(b"\0" * (64 << 20), compresslevel=9)

    def docs(self):
        text = self.docs_template.replace("TensorFlow version 2.14.1", "TensorFlow version 2.14.%d" % self.tf_patch)
        return text.encode("utf-8")

    def bump(self, rng):
        with self.lock:
            if rng.random() < 0.5:
                self.tf_patch += 1
                return "docs: tensorflow 2.14.%d" % self.tf_patch
            self.boto_patch += 1
            pip = self.exports["python3_pip.txt"].decode("utf-8")
            pip = re.sub(r"boto3==1\.35\.\d+", "boto3==1.35.%d" % self.boto_patch, pip)
            self.exports["python3_pip.txt"] = pip.encode("utf-8")
            return "export: boto3 1.35.%d" % self.boto_patch

    def arm(self, path, kind, count):
        with self.lock:
            self.faults = [[path, kind, count]]

    def take_fault(self, path):
        with self.lock:
            for fault in self.faults:
                if path.startswith(fault[0]) and fault[2] > 0:
                    fault[2] -= 1
                    self.fault_hits[fault[1]] = self.fault_hits.get(fault[1], 0) + 1
                    return fault[1]
        return None

    def record_hook(self, delivery, body):
        with self.lock:
            self.hooks.append((delivery, body))


def make_handler(upstream):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def reply(self, status, body=b"", headers=None):
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def faulted(self, path):
            kind = upstream.take_fault(path)
            if kind is None or kind == "hook500" and not path.startswith("/hook"):
                return False
            if kind == "500" or kind == "hook500":
                self.reply(500, b"internal error")
            elif kind == "429":
                self.reply(429, b"slow down", {"Retry-After": "1"})
            elif kind == "hang":
                time.sleep(upstream.hang_seconds)
                self.close_connection = True
            elif kind == "truncate":
                body = self.content(path) or b"x" * 1000
                self.send_response(200)
                self.send_header("Content-Length", str(len(body) + 4096))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
            elif kind == "bomb":
                self.send_response(200)
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(upstream.bomb)))
                self.end_headers()
                self.wfile.write(upstream.bomb)
            return True

        def content(self, path):
            with upstream.lock:
                if path == "/docs/nbi-al2023.html":
                    return upstream.docs()
                if path.startswith("/exports/"):
                    return upstream.exports.get(path[len("/exports/"):])
            return None

        def do_GET(self):
            path = self.path.split("?")[0]
            if self.faulted(path):
                return
            body = self.content(path)
            if body is None:
                self.reply(404, b"no such key")
                return
            etag = '"%s"' % hashlib.sha256(body).hexdigest()[:16]
            if self.headers.get("If-None-Match") == etag:
                self.reply(304, b"", {"ETag": etag})
                return
            kind = "text/html" if path.endswith(".html") else "text/plain"
            self.reply(200, body, {"ETag": etag, "Content-Type": kind})

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            path = self.path.split("?")[0]
            if path != "/hook":
                self.reply(404, b"")
                return
            if self.faulted(path):
                return
            upstream.record_hook(self.headers.get("X-Smsync-Delivery"), body)
            self.reply(200, b"ok")

    return Handler


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # clients that hang up (a killed smsync, a cancelled transfer) are expected


def versions(text):
    """Package -> pinned version of an env file (conda `name=ver[=build]`, pip `name==ver`)."""
    data = yaml.safe_load(text)
    result = {}

    def add(entry):
        if not isinstance(entry, str):
            return
        match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s;,]+)\s*$", entry)
        if match:
            result[match.group(1).lower()] = match.group(2)
            return
        match = re.match(r"^\s*([A-Za-z0-9_.\-]+)=([^=\s]+)", entry)
        if match:
            result[match.group(1).lower()] = match.group(2)
            return
        match = re.match(r"^\s*([A-Za-z0-9_.\-]+)", entry)
        if match:
            result.setdefault(match.group(1).lower(), None)

    for dep in data.get("dependencies") or []:
        if isinstance(dep, dict):
            for sub in dep.get("pip") or []:
                add(sub)
        else:
            add(dep)
    return data.get("name"), result


def session_members(sid):
    """Pids of live processes in session `sid`."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, "rb") as handle:
                stat = handle.read().decode("utf-8", "replace")
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 3 and fields[0] != "Z" and int(fields[3]) == sid:
            members.append(int(entry))
    return members


def fd_count(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return 0


def build(mode):
    print("building smsync (%s)…" % mode, flush=True)
    started = time.time()
    subprocess.run(["swift", "build", "-c", mode, "--product", "smsync"], cwd=ROOT, check=True)
    path = subprocess.run(
        ["swift", "build", "-c", mode, "--show-bin-path"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    print("built in %.0f s" % (time.time() - started), flush=True)
    return os.path.join(path, "smsync")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="30 runs")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--binary", help="an smsync binary to use instead of building one")
    parser.add_argument("--build", default="release", choices=["release", "debug"])
    parser.add_argument("--kill-rate", type=float, default=0.25)
    parser.add_argument("--fault-rate", type=float, default=0.5)
    parser.add_argument("--change-rate", type=float, default=0.3)
    parser.add_argument("--keep", action="store_true", help="keep the world folder")
    args = parser.parse_args()
    runs = 30 if args.quick else args.runs
    seed = args.seed if args.seed is not None else int(time.time())
    rng = random.Random(seed)
    binary = os.path.abspath(args.binary) if args.binary else build(args.build)

    world = tempfile.mkdtemp(prefix="smsync-soak-")
    shutil.copytree(os.path.join(ROOT, "Fixtures/demo/image"), os.path.join(world, "image"))
    envs = os.path.join(world, "image/base/utils/envs")
    upstream = Upstream(
        os.path.join(ROOT, "Fixtures/demo/upstream/exports"),
        os.path.join(ROOT, "Fixtures/demo/upstream/aws-docs/nbi-al2023.html"),
    )
    server = Server(("127.0.0.1", 0), make_handler(upstream))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = "http://127.0.0.1:%d" % server.server_address[1]
    command_log = os.path.join(world, "commands.log")
    with open(os.path.join(world, "trigger_cmd.py"), "w") as handle:
        handle.write(
            "import os, sys, time\n"
            "time.sleep(0.3)\n"
            "with open(sys.argv[1], 'a') as log:\n"
            "    log.write('%s %s\\n' % (os.environ.get('SMSYNC_RUN_ID'), os.environ.get('SMSYNC_KERNELS')))\n"
        )
    config = os.path.join(world, "smsync.yml")
    with open(config, "w") as handle:
        handle.write(
            "envs: {dir: image/base/utils/envs}\n"
            "state: state/state.db\n"
            "sources:\n"
            "  - kind: env-export\n"
            "    url: %(base)s/exports/\n"
            "  - kind: aws-docs\n"
            "    url: %(base)s/docs/nbi-al2023.html\n"
            "policy: {update: [patch, minor], ignore: [], downgrade: false}\n"
            "http: {timeout_seconds: 2, retries: 1, max_bytes: 1048576}\n"
            "rebuild:\n"
            "  - name: hook\n"
            "    webhook: {url: \"%(base)s/hook\", secret_env: SOAK_HOOK_SECRET}\n"
            "  - name: cmd\n"
            "    command: [python3, %(world)s/trigger_cmd.py, %(log)s]\n" % {"base": base, "world": world, "log": command_log}
        )
    subprocess.run(["git", "init", "--quiet", world], check=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", world),
        "SOAK_HOOK_SECRET": HOOK_SECRET,
        "NO_COLOR": "1",
    }
    state_db = os.path.join(world, "state/state.db")

    stats = {
        "runs": 0, "kills": 0, "exit_codes": {}, "torn": 0, "stale_temp_files": 0, "lock_failures": 0,
        "leaked_processes": 0, "max_smsync_fds": 0, "max_db_bytes": 0, "changes": 0, "timeouts": 0,
    }
    faults_armed = {}
    transitions = []  # (run, kernel, frozenset((package, to)))
    db_sizes = []
    failures = []

    def snapshot():
        result = {}
        for name in sorted(os.listdir(envs)):
            path = os.path.join(envs, name)
            if name.endswith(".yml") and os.path.isfile(path):
                with open(path, "rb") as handle:
                    result[name] = handle.read()
        return result

    def one_run(index, faults_on, kill_at):
        before = snapshot()
        started = time.time()
        process = subprocess.Popen(
            [binary, "sync", "--config", config], cwd=world, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True,
        )
        peak = [0]
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], fd_count(process.pid))
                done.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        killed = False
        if kill_at is not None:
            try:
                process.wait(timeout=kill_at)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                killed = True
        try:
            out, err = process.communicate(timeout=180)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            out, err = process.communicate()
            stats["timeouts"] += 1
            failures.append("run %d: still running after 180 s" % index)
        done.set()
        sampler.join()
        rc = process.returncode
        elapsed = time.time() - started
        stats["max_smsync_fds"] = max(stats["max_smsync_fds"], peak[0])

        # Children of this run (its session) must be gone shortly after it ends.
        deadline = time.time() + 3
        members = session_members(process.pid)
        while members and time.time() < deadline:
            time.sleep(0.05)
            members = session_members(process.pid)
        if members:
            stats["leaked_processes"] += len(members)
            failures.append("run %d: %d process(es) of its session outlived it: %s" % (index, len(members), members))
            for pid in members:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass

        after = snapshot()
        for name, data in after.items():
            try:
                kernel, new = versions(data.decode("utf-8"))
                old_kernel, old = versions(before.get(name, b"").decode("utf-8")) if name in before else (kernel, {})
            except Exception as error:  # noqa: BLE001 — any parse failure is a torn file
                stats["torn"] += 1
                failures.append("run %d: %s does not parse: %s" % (index, name, error))
                continue
            ending_lost = name in before and before[name].endswith(b"\n") and not data.endswith(b"\n")
            if ending_lost or set(new) != set(old):
                stats["torn"] += 1
                failures.append("run %d: %s lost or gained packages (torn?)" % (index, name))
            if data != before.get(name):
                changes = frozenset((p, v) for p, v in new.items() if old.get(p) != v)
                if changes:
                    transitions.append((index, "conda_" + (kernel or name[:-4]), changes))
                    stats["changes"] += 1
        temps = glob.glob(os.path.join(envs, "*.smsync-*")) + glob.glob(os.path.join(envs, ".*.smsync-*"))
        stats["stale_temp_files"] = max(stats["stale_temp_files"], len(temps))

        size = sum(os.path.getsize(state_db + s) for s in ("", "-wal") if os.path.exists(state_db + s))
        stats["max_db_bytes"] = max(stats["max_db_bytes"], size)
        db_sizes.append(size)
        return rc, killed, elapsed, out, err

    started = time.time()
    previous_killed = False
    print("soak: %d runs, seed %d, world %s, binary %s" % (runs, seed, world, binary), flush=True)
    for index in range(1, runs + 1):
        note = []
        if rng.random() < args.change_rate:
            note.append(upstream.bump(rng))
        kind = None
        if rng.random() < args.fault_rate:
            kind = rng.choice(FAULTS)
            path = "/hook" if kind == "hook500" else rng.choice(
                ["/docs/", "/exports/environment_list.txt", "/exports/python3.yml", "/exports/python3_pip.txt", "/exports/"]
            )
            upstream.arm(path, kind, rng.randint(1, 3))
            faults_armed[kind] = faults_armed.get(kind, 0) + 1
            note.append("fault %s on %s" % (kind, path))
        else:
            upstream.arm("/", None, 0)
        kill_at = rng.uniform(0.02, 1.2) if rng.random() < args.kill_rate else None
        rc, killed, elapsed, out, err = one_run(index, kind, kill_at)
        stats["runs"] += 1
        stats["kills"] += 1 if killed else 0
        key = "killed" if killed else str(rc)
        stats["exit_codes"][key] = stats["exit_codes"].get(key, 0) + 1
        if rc == 4:
            stats["lock_failures"] += 1
            failures.append("run %d exited 4 (lock) %s: %s" % (index, "after a kill" if previous_killed else "", err.decode()[-300:]))
        if not killed and rc not in (0, 3, 5):
            failures.append("run %d: unexpected exit %d: %s" % (index, rc, err.decode()[-500:]))
        previous_killed = killed
        if index % 10 == 0 or index == runs:
            print(
                "run %4d  exit %-6s %5.2f s  db %7d B  hooks %4d  %s"
                % (index, key, elapsed, db_sizes[-1], len(upstream.hooks), "; ".join(note)),
                flush=True,
            )

    # Settle: no faults, no kills, until a run is clean (pending triggers retried).
    upstream.arm("/", None, 0)
    settle_codes = []
    for attempt in range(6):
        rc, _, _, out, err = one_run(runs + attempt + 1, None, None)
        settle_codes.append(rc)
        if rc == 0 and attempt >= 1:
            break
    wall = time.time() - started

    # Triggers: every env-file change must have reached the webhook at least once.
    delivered = {}
    ids_per_key = {}
    counts_per_id = {}
    for delivery, body in upstream.hooks:
        counts_per_id[delivery] = counts_per_id.get(delivery, 0) + 1
        try:
            event = json.loads(body)
        except ValueError:
            continue
        for kernel in event.get("kernels", []):
            changes = frozenset(
                (c.get("package", "").lower(), (c.get("to") or "").lstrip("= ")) for c in event.get("changes", []) if c.get("kernel") == kernel
            )
            delivered[(kernel, changes)] = delivered.get((kernel, changes), 0) + 1
            ids_per_key.setdefault((kernel, changes), set()).add(delivery)
    lost = []
    for run, kernel, changes in transitions:
        match = any(k == kernel and (changes <= c or c <= changes) for (k, c) in delivered)
        if not match:
            lost.append((run, kernel, sorted(changes)))
    duplicate_ids = sum(n - 1 for n in counts_per_id.values() if n > 1)
    duplicate_events = sum(1 for ids in ids_per_key.values() if len(ids) > 1)
    for run, kernel, changes in lost:
        failures.append("lost trigger: the change of %s in run %d (%s) never reached the webhook" % (kernel, run, changes))
    commands = 0
    if os.path.exists(command_log):
        with open(command_log) as handle:
            commands = sum(1 for _ in handle)

    print()
    print("soak figures (seed %d)" % seed)
    print("  runs                 %d (+%d settling: exits %s), wall time %.0f s" % (runs, len(settle_codes), settle_codes, wall))
    print("  exit codes           %s" % json.dumps(stats["exit_codes"], sort_keys=True))
    print("  kill -9              %d" % stats["kills"])
    print("  faults armed         %s" % json.dumps(faults_armed, sort_keys=True))
    print("  faults served        %s" % json.dumps(upstream.fault_hits, sort_keys=True))
    print("  upstream changes     tensorflow 2.14.%d, boto3 1.35.%d" % (upstream.tf_patch, upstream.boto_patch))
    print("  env-file changes     %d (events expected)" % len(transitions))
    print("  webhook deliveries   %d, distinct ids %d, events delivered %d" % (len(upstream.hooks), len(counts_per_id), len(delivered)))
    print("  lost triggers        %d" % len(lost))
    print("  duplicate deliveries %d (same id again), events with several ids %d" % (duplicate_ids, duplicate_events))
    print("  command triggers run %d" % commands)
    print("  torn env files       %d, stale temp files (max) %d" % (stats["torn"], stats["stale_temp_files"]))
    print("  lock failures (exit 4) %d" % stats["lock_failures"])
    print("  leaked processes     %d, smsync open fds (max) %d" % (stats["leaked_processes"], stats["max_smsync_fds"]))
    step = max(1, len(db_sizes) // 10)
    print("  db bytes over time   %s" % ", ".join(str(db_sizes[i]) for i in range(0, len(db_sizes), step)))
    print("  db bytes (max)       %d" % stats["max_db_bytes"])
    if failures:
        print("\n%d check(s) failed:" % len(failures))
        for line in failures[:50]:
            print("  - " + line)
    server.shutdown()
    with open(os.path.join(world, "hooks.jsonl"), "w") as handle:
        for delivery, body in upstream.hooks:
            handle.write(json.dumps({"delivery": delivery, "body": body.decode("utf-8", "replace")}) + "\n")
    if not args.keep:
        shutil.rmtree(world, ignore_errors=True)
    else:
        print("world kept at %s" % world)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
