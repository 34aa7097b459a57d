#!/usr/bin/env python3
"""Conformance of smsync's environment-file reader and editor on any folder of env files.

Runs `smsync-bench --conformance FILE --json` once per file (so a crash is counted, not fatal): each file is parsed,
every pinned entry is moved to a synthetic next version and each edit is checked by splicing and re-reading.
When ruamel.yaml (what conda loads env files with) or PyYAML is installed, also checks that smsync accepts
exactly the files that loader accepts. Usage (from the package root):

    swift build --product smsync-bench
    python3 scripts/env_conformance.py DIR_OR_FILE... [--bench .build/debug/smsync-bench] [--verbose]

Exit status 0 when no edit is inexact, no file crashes the binary and the YAML verdicts agree; 1 otherwise.
"""
import argparse
import collections
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Reader errors that are about the YAML itself (the rest are conda-level: structure and specs).
YAML_CODES = {"invalid-yaml", "tab-indentation", "tab-character", "unsupported-tag", "duplicate-key", "not-text"}


def yaml_loader():
    try:
        from ruamel.yaml import YAML

        def load(data):
            YAML(typ="safe", pure=True).load(data)

        return "ruamel.yaml (safe, pure)", load
    except ImportError:
        pass
    try:
        import yaml

        return "PyYAML safe_load", yaml.safe_load
    except ImportError:
        return None, None


def files_under(path):
    if os.path.isfile(path):
        return [path]
    found = []
    for folder, _, names in os.walk(path):
        found += [os.path.join(folder, n) for n in names if n.endswith((".yml", ".yaml"))]
    return sorted(found)


def decode(data):
    """Text as conda reads it: UTF-16 with a BOM, else UTF-8 (a UTF-8 BOM dropped)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--bench", default=os.path.join(ROOT, ".build", "debug", "smsync-bench"))
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    if not os.access(args.bench, os.X_OK):
        sys.exit(f"{args.bench} not found: run `swift build --product smsync-bench` first")
    loader_name, load = yaml_loader()

    counts = collections.Counter()
    refused = collections.Counter()
    problems = []
    files = [f for p in args.paths for f in files_under(p)]
    for path in files:
        counts["files"] += 1
        try:
            run = subprocess.run([args.bench, "--conformance", path, "--json"], capture_output=True, timeout=120)
            report = json.loads(run.stdout) if run.returncode in (0, 1) else None
        except (subprocess.TimeoutExpired, ValueError):
            report = None
        if report is None or len(report.get("files", [])) != 1:
            counts["crashes"] += 1
            problems.append(f"CRASH    {path}: exit {getattr(run, 'returncode', 'timeout')}")
            continue
        result = report["files"][0]
        error = result["error"]
        counts["failed" if error else "parsed"] += 1
        counts["entries"] += result["entries"]
        counts["pinned"] += result["pinned"]
        for entry in result["results"]:
            counts[entry["outcome"]] += 1
            if entry["outcome"] == "refused":
                refused[entry["code"]] += 1
            if entry["outcome"] == "inexact" or args.verbose and entry["outcome"] != "exact":
                problems.append(f"{entry['outcome']:8} {path}:{entry['line']}: {entry['raw']} -> {entry['next']}: "
                                f"{entry['reason']}")
        if error and args.verbose:
            problems.append(f"failed   {error}")
        if load is not None:
            try:
                load(decode(open(path, "rb").read()))
                loader_error = None
            except Exception as exc:  # any loader error is a refusal
                loader_error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            code = result.get("code")
            # Agreement: both refuse, or both accept the YAML (smsync may still refuse a spec conda would reject).
            agree = (error is not None) if loader_error else (error is None or code not in YAML_CODES)
            if agree:
                counts["yaml agreements"] += 1
            else:
                counts["yaml disagreements"] += 1
                problems.append(f"YAML     {path}: {loader_name}: {loader_error or 'accepts'}; smsync: "
                                f"{error or 'accepts'}")

    for line in problems:
        print(line)
    reasons = ", ".join(f"{code} {n}" for code, n in refused.most_common())
    print(f"files: {counts['files']} ({counts['parsed']} parsed, {counts['failed']} failed); "
          f"entries: {counts['entries']} ({counts['pinned']} pinned)")
    print(f"edits: {counts['exact']} exact, {counts['unchanged']} already admitted (left as is), "
          f"{counts['refused']} refused" + (f" ({reasons})" if reasons else "") + f", {counts['inexact']} inexact")
    print(f"crashes: {counts['crashes']}")
    if load is not None:
        print(f"YAML verdicts against {loader_name}: {counts['yaml agreements']} agree, "
              f"{counts['yaml disagreements']} disagree")
    bad = counts["inexact"] or counts["crashes"] or counts["yaml disagreements"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
