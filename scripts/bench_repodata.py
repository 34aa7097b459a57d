#!/usr/bin/env python3
"""Finds the available versions of 200 named packages in a conda-forge-sized repodata.json, as whole processes,
side by side:

- smsync (`smsync-bench --repodata FILE --names-file NAMES`: the availability check's memory-mapped scanner);
- py-rattler's `SparseRepoData` (`load_records` per name, both package formats);
- `orjson.loads` of the whole file and a Python filter.

The file is generated (deterministic seed): `packages` (.tar.bz2) and `packages.conda` maps, keys sorted, records
with name, version, build, build_number, depends (5-15 specs), constrains, license, license_family, md5, sha256,
size, subdir, timestamp, one record a line. Default: 465,000 records, about 280 MB. Each tool runs `--runs` times; the best wall time and the peak RSS (from wait4) are reported, the
outputs are compared, and the ratios printed. Usage (from the package root):

    python3 scripts/bench_repodata.py [--records 465000] [--names 200] [--runs 3] [--file PATH] [--skip-build]

Exit status 0 when every target holds (smsync at least as fast as py-rattler, >= 3x faster than orjson + filter,
peak RSS <= 300 MiB) and the three agree; 1 otherwise.
"""
import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

RATTLER = r"""
import sys
from rattler import Channel, ChannelConfig, SparseRepoData, PackageFormatSelection
path, names_file = sys.argv[1], sys.argv[2]
names = [line.strip() for line in open(names_file) if line.strip()]
sparse = SparseRepoData(Channel("conda-forge", ChannelConfig()), "linux-64", path)
lines = []
for name in sorted(names):
    records = sparse.load_records(name, PackageFormatSelection.BOTH)
    if records:
        versions = sorted({str(record.version) for record in records})
        lines.append(name + ": " + " ".join(versions))
sys.stdout.write("\n".join(lines) + "\n")
"""

ORJSON = r"""
import sys
import orjson
path, names_file = sys.argv[1], sys.argv[2]
names = {line.strip() for line in open(names_file) if line.strip()}
with open(path, "rb") as handle:
    data = orjson.loads(handle.read())
found = {}
for key in ("packages", "packages.conda"):
    for record in data.get(key, {}).values():
        name = record.get("name")
        if name in names:
            found.setdefault(name, set()).add(record["version"])
lines = [name + ": " + " ".join(sorted(found[name])) for name in sorted(found)]
sys.stdout.write("\n".join(lines) + "\n")
"""

LICENSES = ["MIT", "BSD-3-Clause", "Apache-2.0", "GPL-3.0-or-later", "LGPL-2.1-or-later", "MPL-2.0", "ISC"]
FAMILIES = {"MIT": "MIT", "BSD-3-Clause": "BSD", "Apache-2.0": "APACHE", "GPL-3.0-or-later": "GPL3",
            "LGPL-2.1-or-later": "LGPL", "MPL-2.0": "MOZILLA", "ISC": "ISC"}
PARTS = ["lib", "py", "r", "ros", "perl", "xorg", "font", "jupyter", "sphinx", "pytest", "google", "azure", "aws",
         "napari", "dask", "arrow", "gdal", "qt", "gst", "cuda", "mkl", "boost", "hdf5", "netcdf", "proj", "geo"]
WORDS = ["core", "base", "utils", "io", "client", "server", "tools", "data", "plugin", "extension", "cli", "api",
         "async", "json", "yaml", "http", "stream", "cache", "graph", "math", "image", "audio", "text", "sql",
         "crypto", "auth", "config", "test", "doc", "build", "compat", "spec", "types", "parser", "kernel"]


def generate(path, names_path, records, wanted, seed=2024):
    """Writes the repodata and the names file; returns (bytes written, records)."""
    rng = random.Random(seed)
    distinct = max(1000, records // 18)
    names = set()
    while len(names) < distinct:
        parts = [rng.choice(PARTS)] if rng.random() < 0.6 else []
        parts += [rng.choice(WORDS) for _ in range(rng.randint(1, 3))]
        sep = rng.choice(["-", "-", "-", "_", ""])
        name = sep.join(parts) if sep else "".join(parts)
        if rng.random() < 0.3:
            name += str(rng.randint(2, 99))
        names.add(name)
    names = sorted(names)
    # A skewed number of records per name: a few with thousands, most with a handful.
    weights = [1.0 / (rank + 8) ** 0.9 for rank in range(len(names))]
    rng.shuffle(weights)
    total = sum(weights)
    counts = [max(1, int(records * w / total)) for w in weights]
    over = sum(counts) - records
    largest = sorted(range(len(counts)), key=lambda i: -counts[i])[:50]
    step = 0
    while over > 0:
        index = largest[step % len(largest)]
        if counts[index] > 1:
            counts[index] -= 1
            over -= 1
        step += 1
    for _ in range(-over):
        counts[rng.randrange(len(counts))] += 1
    tar, conda = {}, {}
    for name, count in zip(names, counts):
        major = rng.randint(0, 5)
        for index in range(count):
            version = f"{major}.{index // 12}.{index % 12}"
            py = rng.choice(["py310", "py311", "py312", "py39", "pyhd8ed1ab", "h"])
            build_number = rng.randint(0, 3)
            build = f"{py}{hashlib.md5(f'{name}{index}'.encode()).hexdigest()[:7]}_{build_number}"
            depends = sorted({f"{rng.choice(names)} >={rng.randint(0, 9)}.{rng.randint(0, 20)}"
                              for _ in range(rng.randint(3, 12))})
            if py.startswith("py3"):
                minor = py[3:]
                depends.append(f"python >=3.{minor},<3.{int(minor) + 1}.0a0")
                depends.append(f"python_abi 3.{minor}.* *_cp3{minor}")
            elif py == "pyhd8ed1ab":
                depends.append("python >=3.8")
            license_ = rng.choice(LICENSES)
            digest = hashlib.sha256(f"{name}-{version}-{build}".encode()).hexdigest()
            record = {
                "build": build, "build_number": build_number, "depends": depends, "license": license_,
                "license_family": FAMILIES[license_], "md5": digest[:32], "name": name, "sha256": digest,
                "size": rng.randint(5_000, 90_000_000), "subdir": "linux-64",
                "timestamp": 1_600_000_000_000 + rng.randint(0, 150_000_000_000), "version": version,
            }
            if rng.random() < 0.2:
                record["constrains"] = [f"{rng.choice(names)} >=1.0"]
            if py == "pyhd8ed1ab":
                record["noarch"] = "python"
            if rng.random() < 0.55:
                tar[f"{name}-{version}-{build}.tar.bz2"] = record
            else:
                conda[f"{name}-{version}-{build}.conda"] = record
    chosen = rng.sample(names, min(wanted, len(names)))
    with open(names_path, "w") as handle:
        handle.write("\n".join(chosen) + "\n")
    with open(path, "w") as handle:
        handle.write('{\n  "info": {\n    "subdir": "linux-64"\n  },\n')
        for key, table in (("packages", tar), ("packages.conda", conda)):
            handle.write(f'  "{key}": {{\n')
            keys = sorted(table)
            for position, file_name in enumerate(keys):
                text = json.dumps(table[file_name], sort_keys=True)
                comma = "," if position + 1 < len(keys) else ""
                handle.write(f'    "{file_name}": {text}{comma}\n')
            handle.write("  },\n")
        handle.write('  "removed": [],\n  "repodata_version": 1\n}\n')
    return os.path.getsize(path), len(tar) + len(conda)


def measure(command, runs):
    """Best wall seconds, best CPU seconds (user + system), peak RSS in MiB and the output of `runs` runs."""
    best, best_cpu, peak, output = None, None, 0.0, ""
    for _ in range(runs):
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out = process.stdout.read()
        err = process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            sys.exit(f"{' '.join(command[:3])} failed ({code}): {err.decode()[-2000:]}")
        cpu = usage.ru_utime + usage.ru_stime
        best = seconds if best is None else min(best, seconds)
        best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
        peak = max(peak, usage.ru_maxrss / 1024)
        output = out.decode()
    return best, best_cpu, peak, output


def versions(output):
    return {line for line in output.splitlines() if ": " in line and not line.startswith("repodata:")}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=465_000)
    parser.add_argument("--names", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--file", help="repodata.json to write (or reuse when it exists) instead of a temporary one")
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args()

    import rattler  # noqa: F401  (fail early when missing)
    from importlib.metadata import version
    print(f"py-rattler {version('py-rattler')}, orjson {version('orjson')}, python {sys.version.split()[0]}")

    if not args.skip_build:
        subprocess.run(["swift", "build", "-c", "release", "--product", "smsync-bench"], cwd=ROOT, check=True)
    bench = os.path.join(ROOT, ".build", "release", "smsync-bench")

    folder = tempfile.mkdtemp(prefix="smsync-repodata-")
    path = args.file or os.path.join(folder, "repodata.json")
    names_path = path + ".names"
    if not (os.path.exists(path) and os.path.exists(names_path)):
        start = time.perf_counter()
        size, count = generate(path, names_path, args.records, args.names)
        print(f"generated {path}: {size / 1e6:.1f} MB, {count} records ({time.perf_counter() - start:.0f} s)")
    else:
        print(f"reusing {path}: {os.path.getsize(path) / 1e6:.1f} MB")

    tools = {
        "smsync": [bench, "--repodata", path, "--names-file", names_path],
        "py-rattler SparseRepoData": [sys.executable, "-c", RATTLER, path, names_path],
        "orjson.loads + filter": [sys.executable, "-c", ORJSON, path, names_path],
    }
    results = {}
    for label, command in tools.items():
        seconds, cpu, peak, output = measure(command, args.runs)
        results[label] = (seconds, cpu, peak, versions(output))
        print(f"{label:28} wall {seconds:7.3f} s   cpu {cpu:7.3f} s   peak RSS {peak:7.1f} MiB   "
              f"{len(versions(output))} names found")

    smsync_s, smsync_cpu, smsync_rss, smsync_out = results["smsync"]
    rattler_s, rattler_cpu, _, rattler_out = results["py-rattler SparseRepoData"]
    orjson_s, orjson_cpu, _, orjson_out = results["orjson.loads + filter"]
    agree = smsync_out == orjson_out and smsync_out == rattler_out
    print(f"smsync vs py-rattler: {rattler_s / smsync_s:.2f}x wall, {rattler_cpu / smsync_cpu:.2f}x cpu "
          "(target >= 1x)")
    print(f"smsync vs orjson + filter: {orjson_s / smsync_s:.2f}x wall, {orjson_cpu / smsync_cpu:.2f}x cpu "
          "(target >= 3x)")
    print(f"smsync peak RSS: {smsync_rss:.1f} MiB (target <= 300 MiB)")
    print(f"results agree: {agree}" + ("" if agree else f" (smsync {len(smsync_out)}, rattler {len(rattler_out)}, "
                                                     f"orjson {len(orjson_out)} names)"))
    ok = agree and rattler_s / smsync_s >= 1 and orjson_s / smsync_s >= 3 and smsync_rss <= 300
    if not args.file:
        for name in (path, names_path):
            os.unlink(name)
        os.rmdir(folder)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
