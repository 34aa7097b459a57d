#!/usr/bin/env python3
"""Times `smsync version sort` against py-rattler (conda rules), packaging (PEP 440) and GNU `sort -V`.

Every contender does the whole job on the same file of N versions: read standard input, parse every line,
sort, print. The best of several runs counts. Usage (from the package root):

    python3 scripts/bench_compare.py [--count 1000000] [--runs 3] [--skip-build]

Needs py-rattler 0.28 and packaging 26 (installed with pip when missing) and a release build of smsync.
Exit status 0 when every target holds, 1 otherwise.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

RATTLER_SORT = r"""
import sys
from rattler import Version
versions = [(Version(line.strip()), i, line.strip()) for i, line in enumerate(sys.stdin) if line.strip()]
versions.sort(key=lambda item: (item[0], item[1]))
sys.stdout.write("".join(text + "\n" for _, _, text in versions))
"""

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
        import packaging
        if int(packaging.__version__.split(".")[0]) < 26:
            raise ImportError
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "py-rattler==0.28.0",
                        "packaging>=26,<27"], check=True)


def best_time(command, input_path, runs, env=None):
    best = None
    for _ in range(runs):
        with open(input_path, "rb") as stdin, open(os.devnull, "wb") as stdout:
            start = time.perf_counter()
            subprocess.run(command, stdin=stdin, stdout=stdout, check=True, env=env)
            elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best


def same_output(command_a, command_b, input_path):
    outputs = []
    for command in (command_a, command_b):
        with open(input_path, "rb") as stdin:
            outputs.append(subprocess.run(command, stdin=stdin, capture_output=True, check=True).stdout)
    return outputs[0] == outputs[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args()

    ensure_python_packages()
    if not args.skip_build:
        subprocess.run(["swift", "build", "-c", "release", "--product", "smsync"], cwd=ROOT, check=True)
        subprocess.run(["swift", "build", "-c", "release", "--product", "smsync-bench"], cwd=ROOT, check=True)
    bindir = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.strip()
    smsync = os.path.join(bindir, "smsync")
    bench = os.path.join(bindir, "smsync-bench")

    results = []
    ok = True
    with tempfile.TemporaryDirectory() as work:
        data = {}
        for scheme in ("conda", "pep440"):
            data[scheme] = os.path.join(work, f"{scheme}.txt")
            subprocess.run([bench, "--count", str(args.count), "--generate", scheme, data[scheme]], check=True)

        c_env = dict(os.environ, LC_ALL="C")
        ours_conda = best_time([smsync, "version", "sort", "--scheme", "conda"], data["conda"], args.runs)
        rattler = best_time([sys.executable, "-c", RATTLER_SORT], data["conda"], args.runs)
        gnu_conda = best_time(["sort", "-V"], data["conda"], args.runs, env=c_env)
        ours_pep = best_time([smsync, "version", "sort", "--scheme", "pep440"], data["pep440"], args.runs)
        packaging_time = best_time([sys.executable, "-c", PACKAGING_SORT], data["pep440"], args.runs)
        gnu_pep = best_time(["sort", "-V"], data["pep440"], args.runs, env=c_env)

        agree_conda = same_output([smsync, "version", "sort", "--scheme", "conda"],
                                  [sys.executable, "-c", RATTLER_SORT], data["conda"])
        agree_pep = same_output([smsync, "version", "sort", "--scheme", "pep440"],
                                [sys.executable, "-c", PACKAGING_SORT], data["pep440"])

    def row(label, seconds):
        results.append(f"  {label:<46} {seconds:8.3f} s")

    print(f"whole process (read stdin, parse, sort, print) on {args.count:,} versions, best of {args.runs}:")
    row("smsync version sort --scheme conda", ours_conda)
    row("py-rattler 0.28 (Version, sorted)", rattler)
    row("GNU sort -V (conda file)", gnu_conda)
    row("smsync version sort --scheme pep440", ours_pep)
    row("packaging 26 (Version, sorted)", packaging_time)
    row("GNU sort -V (pep440 file)", gnu_pep)
    print("\n".join(results))

    checks = [
        ("conda: py-rattler / smsync (target >= 5)", rattler / ours_conda, rattler / ours_conda >= 5),
        ("pep440: packaging / smsync (target >= 10)", packaging_time / ours_pep, packaging_time / ours_pep >= 10),
        ("conda: smsync / sort -V (target <= 2)", ours_conda / gnu_conda, ours_conda / gnu_conda <= 2),
        ("pep440: smsync / sort -V (target <= 2)", ours_pep / gnu_pep, ours_pep / gnu_pep <= 2),
    ]
    print("ratios:")
    for label, ratio, passed in checks:
        print(f"  {label:<46} {ratio:8.2f}  {'ok' if passed else 'MISSED'}")
        ok = ok and passed
    print(f"same order as py-rattler: {'yes' if agree_conda else 'NO'}")
    print(f"same order as packaging:  {'yes' if agree_pep else 'NO'}")
    ok = ok and agree_conda and agree_pep

    print("\nin-process measurements (smsync-bench):")
    sys.stdout.flush()
    subprocess.run([bench, "--count", str(args.count)], check=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
