#!/usr/bin/env python3
"""Times `smsync diff` (json, markdown, table) and `smsync apply --dry-run` as whole processes on a generated
workspace, against a Python reference that does the same comparison and writes JSON (PyYAML's C loader,
py-rattler's conda rules, packaging's PEP 440 rules, json.dump).

The workspace (`smsync-bench --workspace`): 1,000 env files x 200 dependencies (every fifth under `- pip:`)
against a sagemaker-distribution RELEASE.md of 5,000 packages. Best of several runs; peak RSS of each process.
Usage (from the package root):

    python3 scripts/bench_report.py [--files 1000] [--deps 200] [--manifest 5000] [--runs 3] [--skip-build]

Exit status 0 when every target holds (>= 10x the reference for each diff format, <= 256 MiB peak RSS,
apply --dry-run <= 2x diff --format json), 1 otherwise.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The same comparison smsync makes for this workspace: for each env file, each conda (`name=ver`) and pip
# (`name==ver`) pin whose name the release lists, the current and upstream versions, their order, and the
# action; written as one JSON document.
REFERENCE = r"""
import json, os, sys
import yaml
from rattler import Version
from packaging.version import Version as PipVersion

workspace = sys.argv[1]
release = {}
with open(os.path.join(workspace, "RELEASE.md")) as handle:
    for line in handle:
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) == 3 and cells[0] not in ("Package", "---") and not cells[0].startswith("#"):
            release[cells[0].lower()] = cells[2]
kernels = []
updates = 0
envs = os.path.join(workspace, "envs")
for name in sorted(os.listdir(envs)):
    with open(os.path.join(envs, name)) as handle:
        document = yaml.load(handle, Loader=yaml.CSafeLoader)
    changes = []
    for entry in document["dependencies"]:
        if isinstance(entry, dict):
            for requirement in entry.get("pip", []):
                package, _, current = requirement.partition("==")
                upstream = release.get(package.lower().replace("_", "-"))
                if upstream is None:
                    continue
                order = (PipVersion(upstream) > PipVersion(current)) - (PipVersion(upstream) < PipVersion(current))
                action = "update" if order > 0 else ("held" if order < 0 else "none")
                updates += action == "update"
                changes.append({"package": package, "manager": "pip", "current": current, "current_spec":
                                "==" + current, "upstream": upstream, "action": action})
            continue
        package, _, current = entry.partition("=")
        upstream = release.get(package.lower())
        if upstream is None:
            continue
        order = (Version(upstream) > Version(current)) - (Version(upstream) < Version(current))
        action = "update" if order > 0 else ("held" if order < 0 else "none")
        updates += action == "update"
        changes.append({"package": package, "manager": "conda", "current": current, "current_spec": "=" + current,
                        "upstream": upstream, "action": action})
    kernels.append({"kernel": "conda_" + document["name"], "file": name, "changes": changes})
json.dump({"kernels": kernels, "summary": {"updates": updates}}, sys.stdout, indent=2)
sys.stdout.write("\n")
"""


def ensure_python_packages():
    try:
        import rattler  # noqa: F401
        import yaml
        import packaging  # noqa: F401
        if not hasattr(yaml, "CSafeLoader"):
            raise ImportError
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "py-rattler==0.28.0",
                        "packaging>=26,<27", "pyyaml>=6"], check=True)


def run_once(command, cwd=None):
    """Wall time and peak RSS (MiB) of one whole process, its output discarded."""
    with open(os.devnull, "wb") as devnull:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=devnull, cwd=cwd)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} exited {os.waitstatus_to_exitcode(status)}")
    return elapsed, usage.ru_maxrss / 1024


def best(command, runs, cwd=None):
    results = [run_once(command, cwd) for _ in range(runs)]
    return min(seconds for seconds, _ in results), max(rss for _, rss in results)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--deps", type=int, default=200)
    parser.add_argument("--manifest", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args()

    ensure_python_packages()
    if not args.skip_build:
        for product in ("smsync", "smsync-bench"):
            subprocess.run(["swift", "build", "-c", "release", "--product", product], cwd=ROOT, check=True)
    bindir = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.strip()
    smsync = os.path.join(bindir, "smsync")
    bench = os.path.join(bindir, "smsync-bench")

    with tempfile.TemporaryDirectory() as work:
        subprocess.run([bench, "--workspace", work, "--files", str(args.files), "--deps", str(args.deps),
                        "--manifest", str(args.manifest)], check=True)
        config = os.path.join(work, "smsync.yml")
        reference = best([sys.executable, "-c", REFERENCE, work], args.runs)
        rows = [("python reference (PyYAML C + py-rattler + json)", reference)]
        ours = {}
        for report_format in ("json", "markdown", "table"):
            ours[report_format] = best([smsync, "diff", "--config", config, "--format", report_format], args.runs)
            rows.append((f"smsync diff --format {report_format}", ours[report_format]))
        apply = best([smsync, "apply", "--config", config, "--dry-run"], args.runs)
        rows.append(("smsync apply --dry-run", apply))

    print(f"whole process on {args.files:,} env files x {args.deps} deps vs {args.manifest:,} packages, "
          f"best of {args.runs}:")
    for label, (seconds, rss) in rows:
        print(f"  {label:<50} {seconds:8.3f} s  {rss:8.1f} MiB peak")
    checks = []
    for report_format, (seconds, rss) in ours.items():
        ratio = reference[0] / seconds
        checks.append((f"diff --format {report_format}: reference / smsync (>= 10)", f"{ratio:.2f}", ratio >= 10))
        checks.append((f"diff --format {report_format}: peak RSS MiB (<= 256)", f"{rss:.1f}", rss <= 256))
    apply_ratio = apply[0] / ours["json"][0]
    checks.append(("apply --dry-run / diff --format json (<= 2)", f"{apply_ratio:.2f}", apply_ratio <= 2))
    checks.append(("apply --dry-run: peak RSS MiB (<= 256)", f"{apply[1]:.1f}", apply[1] <= 256))
    print("targets:")
    ok = True
    for label, value, passed in checks:
        print(f"  {label:<50} {value:>8}  {'ok' if passed else 'MISSED'}")
        ok = ok and passed
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
