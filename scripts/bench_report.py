#!/usr/bin/env python3
"""Times `smsync diff` (json, markdown, table) and `smsync apply --dry-run` as whole processes on a generated
workspace, against a Python reference that does the same comparison and writes JSON (PyYAML's C loader,
py-rattler's conda rules, packaging's PEP 440 rules, json.dump); and `smsync version sort --scheme pep440` on
1,000,000 PEP 440 versions of every form against packaging.

smsync is built as the container image builds it (`swift build -c release --static-swift-stdlib`).
The workspace (`smsync-bench --workspace`): 1,000 env files x 200 dependencies (every fifth under `- pip:`)
against a sagemaker-distribution RELEASE.md of 5,000 packages. The runs of all contenders take turns; the best
of each counts, with the peak RSS of each process. The phases of one diff, timed in process
(`smsync-bench --phases`), follow. Usage (from the package root):

    python3 scripts/bench_report.py [--files 1000] [--deps 200] [--manifest 5000] [--runs 3]
                                    [--sort-count 1000000] [--skip-sort] [--skip-build]

Exit status 0 when every target holds (>= 10x the reference for each diff format, <= 256 MiB peak RSS,
apply --dry-run <= 2x diff --format json, the PEP 440 sort >= 10x packaging with the same order), 1 otherwise.
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


# packaging's order, input order among equal versions: what `smsync version sort --scheme pep440` prints.
PACKAGING_SORT = r"""
import sys
from packaging.version import Version
versions = [(Version(line.strip()), i, line.strip()) for i, line in enumerate(sys.stdin) if line.strip()]
versions.sort(key=lambda item: (item[0], item[1]))
sys.stdout.write("".join(text + "\n" for _, _, text in versions))
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


def run_once(command, stdin_path=None):
    """Wall time and peak RSS (MiB) of one whole process, its output discarded."""
    with open(os.devnull, "wb") as devnull, open(stdin_path or os.devnull, "rb") as stdin:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdin=stdin, stdout=devnull)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} exited {os.waitstatus_to_exitcode(status)}")
    return elapsed, usage.ru_maxrss / 1024


def best_of_turns(commands, runs):
    """Runs every (label, command, stdin) once per turn, `runs` turns, so that a machine that gets busier or
    quieter meanwhile affects all of them alike. Best time and highest peak RSS per label."""
    results = {label: [] for label, _, _ in commands}
    for _ in range(runs):
        for label, command, stdin_path in commands:
            results[label].append(run_once(command, stdin_path))
    return {label: (min(s for s, _ in rows), max(r for _, r in rows)) for label, rows in results.items()}


def same_output(command_a, command_b, input_path):
    outputs = []
    for command in (command_a, command_b):
        with open(input_path, "rb") as stdin:
            outputs.append(subprocess.run(command, stdin=stdin, capture_output=True, check=True).stdout)
    return outputs[0] == outputs[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--deps", type=int, default=200)
    parser.add_argument("--manifest", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sort-count", type=int, default=1_000_000)
    parser.add_argument("--skip-sort", action="store_true")
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args()

    ensure_python_packages()
    # The binary the container image ships (deploy/container/Dockerfile): release, Swift runtime linked in.
    build = ["swift", "build", "-c", "release", "--static-swift-stdlib"]
    if not args.skip_build:
        for product in ("smsync", "smsync-bench"):
            subprocess.run(build + ["--product", product], cwd=ROOT, check=True)
    bindir = subprocess.run(build + ["--show-bin-path"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.strip()
    smsync = os.path.join(bindir, "smsync")
    bench = os.path.join(bindir, "smsync-bench")

    reference_label = "python reference (PyYAML C + py-rattler + json)"
    packaging_label = "packaging 26 sort (1M PEP 440, every form)"
    sort_label = "smsync version sort --scheme pep440"
    with tempfile.TemporaryDirectory() as work:
        subprocess.run([bench, "--workspace", work, "--files", str(args.files), "--deps", str(args.deps),
                        "--manifest", str(args.manifest)], check=True)
        config = os.path.join(work, "smsync.yml")
        commands = [(reference_label, [sys.executable, "-c", REFERENCE, work], None)]
        for report_format in ("json", "markdown", "table"):
            commands.append((f"smsync diff --format {report_format}",
                             [smsync, "diff", "--config", config, "--format", report_format], None))
        commands.append(("smsync apply --dry-run", [smsync, "apply", "--config", config, "--dry-run"], None))
        agree = None
        if not args.skip_sort:
            versions = os.path.join(work, "pep440-mixed.txt")
            subprocess.run([bench, "--count", str(args.sort_count), "--generate", "pep440-mixed", versions],
                           check=True)
            ours_sort = [smsync, "version", "sort", "--scheme", "pep440"]
            reference_sort = [sys.executable, "-c", PACKAGING_SORT]
            agree = same_output(ours_sort, reference_sort, versions)
            commands.append((packaging_label, reference_sort, versions))
            commands.append((sort_label, ours_sort, versions))
        results = best_of_turns(commands, args.runs)
        phases = subprocess.run([bench, "--phases", work], check=True, capture_output=True, text=True).stdout

    print(f"whole process on {args.files:,} env files x {args.deps} deps vs {args.manifest:,} packages"
          + ("" if args.skip_sort else f"; {args.sort_count:,} PEP 440 versions sorted")
          + f"; best of {args.runs} turns:")
    for label, _, _ in commands:
        seconds, rss = results[label]
        print(f"  {label:<50} {seconds:8.3f} s  {rss:8.1f} MiB peak")
    reference = results[reference_label]
    checks = []
    for report_format in ("json", "markdown", "table"):
        seconds, rss = results[f"smsync diff --format {report_format}"]
        ratio = reference[0] / seconds
        checks.append((f"diff --format {report_format}: reference / smsync (>= 10)", f"{ratio:.2f}", ratio >= 10))
        checks.append((f"diff --format {report_format}: peak RSS MiB (<= 256)", f"{rss:.1f}", rss <= 256))
    apply = results["smsync apply --dry-run"]
    apply_ratio = apply[0] / results["smsync diff --format json"][0]
    checks.append(("apply --dry-run / diff --format json (<= 2)", f"{apply_ratio:.2f}", apply_ratio <= 2))
    checks.append(("apply --dry-run: peak RSS MiB (<= 256)", f"{apply[1]:.1f}", apply[1] <= 256))
    if not args.skip_sort:
        sort_ratio = results[packaging_label][0] / results[sort_label][0]
        checks.append(("pep440 sort: packaging / smsync (>= 10)", f"{sort_ratio:.2f}", sort_ratio >= 10))
        checks.append(("pep440 sort: same order as packaging", "yes" if agree else "NO", bool(agree)))
    print("targets:")
    ok = True
    for label, value, passed in checks:
        print(f"  {label:<50} {value:>8}  {'ok' if passed else 'MISSED'}")
        ok = ok and passed
    print(phases, end="")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
