#!/bin/bash
# Runs deploy/scripts/smsync-checkout against a local bare repository and checks what an in-place deployment relies
# on: the first run clones, later runs follow the branch (dropping the previous run's edits), an interrupted clone
# never breaks a later run, a failed clone leaves nothing behind, and bad settings are refused with exit 2.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
script="$here/../scripts/smsync-checkout"
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export GIT_CONFIG_NOSYSTEM=1 HOME="$work/home" GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org \
    GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
mkdir -p "$HOME" "$work/state"
git init --quiet --bare --initial-branch=main "$work/origin.git"
git clone --quiet "$work/origin.git" "$work/author" 2>/dev/null
mkdir -p "$work/author/base/utils/envs"
printf 'name: python3\ndependencies:\n  - numpy=1.26.4\n' >"$work/author/base/utils/envs/python3.yml"
git -C "$work/author" add -A && git -C "$work/author" commit --quiet -m one && git -C "$work/author" push --quiet origin HEAD:main

export SMSYNC_CHECKOUT_URL="file://$work/origin.git" SMSYNC_CHECKOUT_BRANCH=main SMSYNC_CHECKOUT_DIR="$work/state/image"
run() {
    local status=0
    "$script" >"$work/out.log" 2>&1 || status=$?
    echo "$status"
}
head_of() { git -C "$1" rev-parse "$2"; }

# 1. First run: a clone, renamed into place; no temporary folder left.
status="$(run)"
if [[ "$status" == 0 && "$(head_of "$work/state/image" HEAD)" == "$(head_of "$work/origin.git" main)" ]]; then
    pass "the first run clones the branch"
else
    fail "first run: exit $status, $(cat "$work/out.log")"
fi
if [[ -z "$(find "$work/state" -maxdepth 1 -name '.image.clone.*')" ]]; then
    pass "no temporary folder is left"
else
    fail "a temporary folder is left"
fi

# 2. Upstream moves, and the previous in-place run left an edit: the next run is at the new tip, edit dropped.
printf 'name: python3\n# a teammate'"'"'s comment\ndependencies:\n  - numpy=1.26.4\n' \
    >"$work/author/base/utils/envs/python3.yml"
git -C "$work/author" commit --quiet -am two && git -C "$work/author" push --quiet origin HEAD:main
sed -i 's/1.26.4/2.0.0/' "$work/state/image/base/utils/envs/python3.yml"
status="$(run)"
if [[ "$status" == 0 && "$(head_of "$work/state/image" HEAD)" == "$(head_of "$work/origin.git" main)" ]] &&
    cmp -s "$work/state/image/base/utils/envs/python3.yml" "$work/author/base/utils/envs/python3.yml" &&
    [[ "$(git -C "$work/state/image" rev-parse --abbrev-ref HEAD)" == main ]]; then
    pass "a later run checks out the new tip of main and drops the previous run's edit"
else
    fail "refresh: exit $status, $(cat "$work/out.log")"
fi

# 3. A clone killed half way: only its temporary folder exists. The next run removes it and clones.
rm -rf "$work/state/image"
mkdir -p "$work/state/.image.clone.AbC123/.git"
status="$(run)"
if [[ "$status" == 0 && -d "$work/state/image/.git" && ! -e "$work/state/.image.clone.AbC123" ]]; then
    pass "a folder left by an interrupted clone is removed and the clone is made"
else
    fail "after an interrupted clone: exit $status, $(cat "$work/out.log")"
fi

# 4. The remote cannot be read: exit 3 (like an upstream source), and no half checkout.
rm -rf "$work/state/image"
status="$(SMSYNC_CHECKOUT_URL="file://$work/missing.git" run)"
if [[ "$status" == 3 && ! -e "$work/state/image" && -z "$(find "$work/state" -maxdepth 1 -name '.image.clone.*')" ]]; then
    pass "a failed clone exits 3 and leaves nothing behind"
else
    fail "failed clone: exit $status, $(ls -a "$work/state")"
fi

# 5. Bad settings and a foreign folder: exit 2; nothing configured: exit 0.
status="$(SMSYNC_CHECKOUT_BRANCH='--upload-pack=x' run)"
if [[ "$status" == 2 ]]; then
    pass "an option-like branch is refused with exit 2"
else
    fail "option-like branch: exit $status"
fi
status="$(SMSYNC_CHECKOUT_URL='ext::sh -c x' run)"
if [[ "$status" == 2 ]]; then
    pass "an ext:: URL is refused with exit 2"
else
    fail "ext:: URL: exit $status"
fi
mkdir -p "$work/state/image" && touch "$work/state/image/keep-me"
status="$(run)"
if [[ "$status" == 2 && -e "$work/state/image/keep-me" ]]; then
    pass "a folder that is not a checkout is left alone, exit 2"
else
    fail "foreign folder: exit $status"
fi
status="$(SMSYNC_CHECKOUT_URL='' run)"
if [[ "$status" == 0 ]]; then
    pass "no URL configured: nothing to do, exit 0"
else
    fail "no URL: exit $status"
fi

# 6. The token reaches git only through the credential helper: never in .git/config.
rm -rf "$work/state/image"
status="$(GITHUB_TOKEN=tok-not-in-config run)"
if [[ "$status" == 0 ]] && ! grep -rq tok-not-in-config "$work/state/image/.git/config"; then
    pass "the token is not written to .git/config"
else
    fail "token: exit $status"
fi

finish "checkout test"
