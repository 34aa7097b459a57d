#!/bin/bash
# Shared by the deploy script tests (sourced): a scratch folder removed on exit, pass/fail counters and the
# closing line. `finish NAME` prints "NAME: N passed, N failed" and fails when anything failed.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
pass() {
    passed=$((passed + 1))
    echo "ok - $*"
}
fail() {
    failed=$((failed + 1))
    echo "not ok - $*"
}
finish() {
    echo "$1: $passed passed, $failed failed"
    ((failed == 0))
}
