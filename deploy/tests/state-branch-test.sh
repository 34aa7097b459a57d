#!/bin/bash
# Runs deploy/github-actions/smsync-state against a local bare repository: no branch yet is a fresh start, a save
# makes the branch one commit without history holding state.db, a restore brings those bytes back, and the working
# tree and index of the checkout are never touched.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
script="$here/../github-actions/smsync-state"
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export GIT_CONFIG_NOSYSTEM=1 HOME="$work/home" GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org \
    GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org GITHUB_TOKEN=unused-locally
mkdir -p "$HOME"
git init --quiet --bare --initial-branch=main "$work/origin.git"
git clone --quiet "$work/origin.git" "$work/repo" 2>/dev/null
printf 'name: python3\n' >"$work/repo/python3.yml"
git -C "$work/repo" add -A && git -C "$work/repo" commit --quiet -m one && git -C "$work/repo" push --quiet origin HEAD:main
cd "$work/repo"

if sh "$script" restore "$work/state1" >"$work/out" 2>&1 && [[ ! -e "$work/state1/state.db" ]]; then
    pass "no branch yet: exit 0, nothing restored"
else
    fail "first restore: $(cat "$work/out")"
fi

mkdir -p "$work/state1"
head -c 5000 /dev/urandom >"$work/state1/state.db"
for run in 1 2; do
    GITHUB_RUN_ID="$run" sh "$script" save "$work/state1" >"$work/out" 2>&1 || fail "save $run: $(cat "$work/out")"
done
if [[ "$(git -C "$work/origin.git" rev-list --count smsync-state)" == 1 ]] &&
    [[ "$(git -C "$work/origin.git" ls-tree --name-only smsync-state)" == state.db ]]; then
    pass "the branch is one commit holding state.db, however many saves"
else
    fail "branch history: $(git -C "$work/origin.git" log --oneline smsync-state 2>&1)"
fi

if sh "$script" restore "$work/state2" >"$work/out" 2>&1 && cmp -s "$work/state1/state.db" "$work/state2/state.db"; then
    pass "a restore brings back the saved bytes"
else
    fail "restore: $(cat "$work/out")"
fi

if [[ -z "$(git status --porcelain)" && "$(git rev-parse --abbrev-ref HEAD)" == main ]]; then
    pass "the checkout's working tree, index and branch are untouched"
else
    fail "the checkout changed: $(git status --porcelain)"
fi

finish "state branch test"
