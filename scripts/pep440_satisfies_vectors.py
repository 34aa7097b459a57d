#!/usr/bin/env python3
"""Writes the (spec, version, prereleases) vectors of packaging's tests/test_specifiers.py, each with the
answer of packaging's SpecifierSet(spec).contains(version, prereleases=...), as JSON lines.

Usage: python3 scripts/pep440_satisfies_vectors.py PACKAGING_SDIST_DIR Fixtures/versions/pep440-satisfies-packaging-26.2.jsonl

PACKAGING_SDIST_DIR is an unpacked sdist (`pip download --no-deps --no-binary :all: packaging==26.2`), whose
`src` is put first on the path so that the answers come from that release; needs pytest. The test module
imports `pretend`, which only its mocks use: a stub is enough.
"""
import json
import os
import sys
import tempfile

root = os.path.abspath(sys.argv[1])
output = sys.argv[2]
stub = tempfile.mkdtemp()
with open(os.path.join(stub, "pretend.py"), "w") as f:
    f.write("def stub(**kw):\n    pass\n\ndef call_recorder(f):\n    return f\n")
sys.path[:0] = [os.path.join(root, "src"), stub]
for name in [m for m in sys.modules if m == "packaging" or m.startswith("packaging.")]:
    del sys.modules[name]
import packaging  # noqa: E402
from packaging.specifiers import SpecifierSet  # noqa: E402
import pytest  # noqa: E402

assert packaging.__file__.startswith(root), packaging.__file__


class Collector:
    def __init__(self):
        self.rows = []

    def pytest_collection_modifyitems(self, items):
        for item in items:
            params = getattr(getattr(item, "callspec", None), "params", {})
            spec = next((params[k] for k in ("spec_str", "specifier", "spec") if k in params), None)
            version = params.get("version")
            if not isinstance(spec, str) or not isinstance(version, str):
                continue
            prereleases = next((params[k] for k in ("prereleases", "contains_pre") if k in params), None)
            if prereleases is not None and not isinstance(prereleases, bool):
                continue
            try:
                expected = SpecifierSet(spec).contains(version, prereleases=prereleases)
            except Exception:
                continue
            row = {"spec": spec, "version": version, "prereleases": prereleases, "expected": expected}
            if row not in self.rows:
                self.rows.append(row)


collector = Collector()
code = pytest.main(
    ["-q", "--collect-only", "-p", "no:cacheprovider", os.path.join(root, "tests", "test_specifiers.py")],
    plugins=[collector],
)
assert code == 0, code
with open(output, "w") as f:
    for row in collector.rows:
        f.write(json.dumps(row) + "\n")
sys.stderr.write(f"{len(collector.rows)} vectors from packaging {packaging.__version__}\n")
