#!/bin/bash
# Runs deploy/cron/smsync-cron with fake `smsync` and `smsync-checkout` first on PATH: the documented invocation after
# the checkout, nothing on stdout (no mail), the exit code logged, a hung run stopped by the timeout (and the lock
# free again), an overlapping run skipped with exit 4, a failed checkout stopping the run with its own code.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
script="$here/../cron/smsync-cron"
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mkdir -p "$work/bin" "$work/state"
cat >"$work/bin/smsync" <<'FAKE'
#!/bin/sh
printf 'smsync %s\n' "$*"
case "${FAKE_SMSYNC:-ok}" in
    hang) trap '' TERM; sleep 30 ;;
    fail) exit 3 ;;
esac
FAKE
cat >"$work/bin/smsync-checkout" <<'FAKE'
#!/bin/sh
printf 'checkout url=%s branch=%s\n' "${SMSYNC_CHECKOUT_URL:-}" "${SMSYNC_CHECKOUT_BRANCH:-}"
exit "${FAKE_CHECKOUT_EXIT:-0}"
FAKE
chmod +x "$work/bin/smsync" "$work/bin/smsync-checkout"
printf 'SMSYNC_CHECKOUT_URL=https://github.com/acme/image.git\nSMSYNC_CHECKOUT_BRANCH=main\nPATH=/nowhere\n' \
    >"$work/checkout.env"
# shellcheck disable=SC2016 # the command substitution is the hostile text, written as is
printf 'SMSYNC_CHECKOUT_BRANCH=$(touch %s/evaluated)\n' "$work" >"$work/hostile.env"

export PATH="$work/bin:$PATH" SMSYNC_CRON_LOCK="$work/state/cron.lock" SMSYNC_CRON_LOG="$work/smsync.log" \
    SMSYNC_CHECKOUT_ENV="$work/checkout.env" SMSYNC_JITTER_SECONDS=0
run() {
    local status=0
    : >"$work/smsync.log"
    "$script" >"$work/stdout" 2>&1 || status=$?
    echo "$status"
}

status="$(run)"
expected="smsync sync --config /etc/smsync/smsync.yml --log-format json --metrics-file /var/lib/smsync/smsync.prom"
if [[ "$status" == 0 && ! -s "$work/stdout" ]] &&
    [[ "$(sed -n 1p "$work/smsync.log")" == "checkout url=https://github.com/acme/image.git branch=main" ]] &&
    [[ "$(sed -n 2p "$work/smsync.log")" == "$expected" ]] && grep -q '^smsync-cron: exit=0 ' "$work/smsync.log"; then
    pass "the checkout, then the documented invocation; nothing on stdout; exit=0 logged"
else
    fail "normal run: exit $status, stdout: $(cat "$work/stdout"), log: $(cat "$work/smsync.log")"
fi

status="$(SMSYNC_CHECKOUT_ENV="$work/hostile.env" run)"
if [[ "$status" == 0 && ! -e "$work/evaluated" ]]; then
    pass "checkout.env is read, never evaluated"
else
    fail "checkout.env was evaluated (exit $status)"
fi

status="$(FAKE_CHECKOUT_EXIT=3 run)"
if [[ "$status" == 3 ]] && ! grep -q '^smsync sync' "$work/smsync.log" && grep -q 'exit=3' "$work/smsync.log"; then
    pass "a failed checkout stops the run with its exit code"
else
    fail "failed checkout: exit $status, log: $(cat "$work/smsync.log")"
fi

start=$SECONDS
status="$(FAKE_SMSYNC=hang SMSYNC_TIMEOUT=1s SMSYNC_KILL_AFTER=1s run)"
if [[ "$status" == 137 ]] && ((SECONDS - start < 15)); then
    pass "a hung run that ignores TERM is killed by the timeout (exit 137)"
else
    fail "hung run: exit $status after $((SECONDS - start)) s"
fi
status="$(run)"
if [[ "$status" == 0 ]]; then
    pass "the lock is free again after a killed run"
else
    fail "after a killed run: exit $status"
fi

flock "$work/state/cron.lock" sleep 5 &
holder=$!
sleep 0.5
status="$(run)"
kill "$holder" 2>/dev/null || true
wait "$holder" 2>/dev/null || true
if [[ "$status" == 4 ]] && ! grep -q '^smsync sync' "$work/smsync.log"; then
    pass "an overlapping run is skipped with exit 4"
else
    fail "overlap: exit $status"
fi

finish "cron test"
