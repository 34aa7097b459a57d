#!/bin/sh
# Runs `smsync sync --dry-run` RUNS times (default 1000) on a copy of the demo and prints the size of the
# state database (and its WAL) with the row counts, to check that the state stays small.
#   scripts/state-size.sh [RUNS] [path/to/smsync]
set -eu
runs=${1:-1000}
root=$(cd "$(dirname "$0")/.." && pwd)
binary=${2:-$root/.build/debug/smsync}
work=$(mktemp -d "${TMPDIR:-/tmp}/smsync-state-size.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -R "$root/Fixtures/demo/." "$work/"
rm -rf "$work/.smsync"
start=$(date +%s)
i=0
while [ "$i" -lt "$runs" ]; do
    "$binary" sync --dry-run --config "$work/smsync.yml" >/dev/null 2>&1 || {
        echo "run $((i + 1)) failed:" >&2
        "$binary" sync --dry-run --config "$work/smsync.yml" >&2 || true
        exit 1
    }
    i=$((i + 1))
done
end=$(date +%s)
db="$work/.smsync/state.db"
size=$(wc -c <"$db")
wal=0
[ -f "$db-wal" ] && wal=$(wc -c <"$db-wal")
echo "$runs demo runs in $((end - start)) s: state.db $size bytes, WAL $wal bytes"
python3 - "$db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for table in ["runs", "fetches", "source_results", "drift", "releases"]:
    print(f"  {table}: {db.execute(f'SELECT COUNT(*) FROM {table}').fetchone()[0]} rows")
PY
