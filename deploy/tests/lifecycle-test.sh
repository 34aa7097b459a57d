#!/bin/bash
# Runs deploy/aws/notebook-lifecycle/on-start.sh against fake `conda`, `sudo` and `aws` executables first on PATH and
# checks the exact files it uploads: <env>.yml and <env>_pip.txt for each kernel environment, the index
# environment_list.txt (`<env> sha256:<digest of both>`) after them, then exported_at.txt; that conda only ever runs
# as ec2-user; that each instance writes its own subfolder; and that the script exits 0 even when it cannot export.
#
#   lifecycle-test.sh [--keep DIR]
#
# --keep DIR copies the uploaded export folder to DIR (created if needed), for smsync to parse afterwards.
# The fake aws copies `s3 cp` uploads under a local folder and answers `sagemaker list-tags`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
script="$here/../aws/notebook-lifecycle/on-start.sh"
keep=""
while (($#)); do
    case "$1" in
        --keep)
            keep="${2:?--keep needs a folder}"
            shift 2
            ;;
        *)
            echo "usage: $0 [--keep DIR]" >&2
            exit 2
            ;;
    esac
done

# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
mkdir -p "$work/bin" "$work/s3" "$work/expected"

# Expected outputs, also what the fake conda prints.
cat >"$work/expected/python3.yml" <<'EOF'
name: python3
channels:
  - conda-forge
  - defaults
dependencies:
  - _libgcc_mutex=0.1
  - ipykernel=6.29.5
  - numpy=1.26.4
  - pandas=2.2.3
  - python=3.10.15
  - pip=24.2
  - pip:
    - boto3==1.35.36
    - sagemaker==2.232.1
prefix: /home/ec2-user/anaconda3/envs/python3
EOF
cat >"$work/expected/python3_pip.txt" <<'EOF'
boto3==1.35.40
ipykernel @ file:///home/conda/feedstock_root/build_artifacts/ipykernel_1719845459717/work
numpy==1.26.4
sagemaker==2.232.1
EOF
cat >"$work/expected/pytorch_p310.yml" <<'EOF'
name: pytorch_p310
channels:
  - conda-forge
dependencies:
  - python=3.10.14
  - pytorch=2.2.0
  - torchvision=0.17.0
  - pip:
    - sagemaker==2.232.1
prefix: /home/ec2-user/anaconda3/envs/pytorch_p310
EOF
cat >"$work/expected/pytorch_p310_pip.txt" <<'EOF'
sagemaker==2.232.1
torch==2.2.0
EOF
# The index: each environment with the SHA-256 of its export followed by its freeze, as smsync digests an export.
for name in python3 pytorch_p310; do
    sum="$(cat "$work/expected/$name.yml" "$work/expected/${name}_pip.txt" | sha256sum)"
    printf '%s sha256:%s\n' "$name" "${sum%% *}"
done >"$work/expected/environment_list.txt"

# Fake conda: `env list`, `env export --no-builds -n NAME`, `run -n NAME pip freeze`; anything else fails.
# Every call is logged, so the test can tell base and JupyterSystemEnv were never exported.
cat >"$work/bin/conda" <<'EOF'
#!/bin/bash
set -euo pipefail
args="$*"
printf '%s: %s\n' "${FAKE_AS_USER:-root}" "$args" >>"$FAKE_ROOT/conda-calls.log"
case "$args" in
    "env list")
        cat <<'LIST'
# conda environments:
#
base                  *  /home/ec2-user/anaconda3
JupyterSystemEnv         /home/ec2-user/anaconda3/envs/JupyterSystemEnv
python3                  /home/ec2-user/anaconda3/envs/python3
pytorch_p310             /home/ec2-user/anaconda3/envs/pytorch_p310
                         /home/ec2-user/SageMaker/custom-envs/unnamed
LIST
        ;;
    "env export --no-builds -n python3" | "env export --no-builds -n pytorch_p310")
        cat "$FAKE_ROOT/expected/${args##* }.yml"
        ;;
    "run -n python3 pip freeze" | "run -n pytorch_p310 pip freeze")
        name="${args#run -n }"
        cat "$FAKE_ROOT/expected/${name%% *}_pip.txt"
        ;;
    *)
        echo "fake conda: unexpected arguments: $*" >&2
        exit 64
        ;;
esac
EOF

# Fake aws: `s3 cp [--only-show-errors] [--content-type T] FILE s3://BUCKET/KEY` copies to $FAKE_ROOT/s3/BUCKET/KEY;
# `sagemaker list-tags ... --resource-arn ARN ...` prints $FAKE_TAG_VALUE. Anything else fails.
cat >"$work/bin/aws" <<'EOF'
#!/bin/bash
set -euo pipefail
printf '%s\n' "$*" >>"$FAKE_ROOT/aws-calls.log"
if [[ "${1:-}" == s3 && "${2:-}" == cp ]]; then
    shift 2
    operands=()
    while (($#)); do
        case "$1" in
            --only-show-errors) shift ;;
            --content-type) shift 2 ;;
            -*) echo "fake aws: unexpected option $1" >&2; exit 64 ;;
            *) operands+=("$1"); shift ;;
        esac
    done
    [[ ${#operands[@]} -eq 2 && -f "${operands[0]}" && "${operands[1]}" == s3://?*/?* ]] || {
        echo "fake aws: bad s3 cp operands: ${operands[*]}" >&2
        exit 64
    }
    target="$FAKE_ROOT/s3/${operands[1]#s3://}"
    mkdir -p "$(dirname "$target")"
    cp "${operands[0]}" "$target"
elif [[ "${1:-}" == sagemaker && "${2:-}" == list-tags ]]; then
    [[ "$*" == *"--resource-arn arn:aws:sagemaker:eu-west-1:123456789012:notebook-instance/nb"* ]] || exit 65
    [[ "$*" == *"--region eu-west-1"* ]] || exit 66
    printf '%s\n' "${FAKE_TAG_VALUE:-None}"
else
    echo "fake aws: unexpected arguments: $*" >&2
    exit 64
fi
EOF
# Fake sudo: only `sudo -u ec2-user -i COMMAND...`, which runs COMMAND marked as ec2-user's.
cat >"$work/bin/sudo" <<'EOF'
#!/bin/bash
[[ "${1:-}" == -u && "${2:-}" == ec2-user && "${3:-}" == -i && -n "${4:-}" ]] || {
    echo "fake sudo: unexpected arguments: $*" >&2
    exit 64
}
shift 3
FAKE_AS_USER=ec2-user exec "$@"
EOF
chmod +x "$work/bin/conda" "$work/bin/aws" "$work/bin/sudo"

export FAKE_ROOT="$work"
export PATH="$work/bin:$PATH"

# Compares the uploaded folder with the expected files, name by name and byte by byte.
check_folder() {
    local label="$1" folder="$2" name
    if [[ ! -d "$folder" ]]; then
        fail "$label: nothing uploaded to $folder"
        return
    fi
    if [[ "$(cd "$folder" && find . -type f ! -name exported_at.txt | sort)" != "$(cd "$work/expected" && find . -type f | sort)" ]]; then
        fail "$label: uploaded files differ: $(cd "$folder" && find . -type f | sort | tr '\n' ' ')"
        return
    fi
    for name in environment_list.txt python3.yml python3_pip.txt pytorch_p310.yml pytorch_p310_pip.txt; do
        if ! cmp -s "$folder/$name" "$work/expected/$name"; then
            fail "$label: $name differs from the export"
            return
        fi
    done
    if ! grep -Eqx '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z' "$folder/exported_at.txt" 2>/dev/null; then
        fail "$label: no exported_at.txt with a UTC time"
        return
    fi
    pass "$label: <env>.yml, <env>_pip.txt, the digest index and exported_at.txt for python3 and pytorch_p310"
}

printf '{"ResourceArn": "arn:aws:sagemaker:eu-west-1:123456789012:notebook-instance/nb", "ResourceName": "nb"}\n' \
    >"$work/resource-metadata.json"
export SMSYNC_RESOURCE_METADATA="$work/resource-metadata.json"

# 1. Destination from the variable, in the foreground, into the instance's own subfolder.
if SMSYNC_EXPORT_FOREGROUND=1 SMSYNC_EXPORT_S3_URI=s3://bucket/smsync/exports \
    bash "$script" >"$work/run1.log" 2>&1; then
    pass "foreground run exits 0"
else
    fail "foreground run failed: $(cat "$work/run1.log")"
fi
check_folder "variable destination" "$work/s3/bucket/smsync/exports/nb"
if grep -Eq -- '-n (base|JupyterSystemEnv)' "$work/conda-calls.log"; then
    fail "base or JupyterSystemEnv was exported"
else
    pass "base, JupyterSystemEnv and the unnamed environment are skipped"
fi
if grep -qv '^ec2-user: ' "$work/conda-calls.log"; then
    fail "conda ran as root: $(grep -v '^ec2-user: ' "$work/conda-calls.log" | head -n 1)"
else
    pass "conda runs as ec2-user (sudo -u ec2-user -i)"
fi
if [[ "$(tail -n 2 "$work/aws-calls.log" | head -n 1)" == *"environment_list.txt s3://bucket/smsync/exports/nb/environment_list.txt" &&
    "$(tail -n 1 "$work/aws-calls.log")" == *"exported_at.txt s3://bucket/smsync/exports/nb/exported_at.txt" ]]; then
    pass "the index is uploaded after the exports, and exported_at.txt after the index"
else
    fail "upload order: $(tail -n 2 "$work/aws-calls.log")"
fi

# 2. Destination from the notebook instance's tag; a named instance subfolder; no subfolder at all.
if SMSYNC_EXPORT_FOREGROUND=1 FAKE_TAG_VALUE=s3://tagged/exports/ bash "$script" >"$work/run2.log" 2>&1; then
    check_folder "tag destination" "$work/s3/tagged/exports/nb"
else
    fail "tag run failed: $(cat "$work/run2.log")"
fi
SMSYNC_EXPORT_FOREGROUND=1 SMSYNC_EXPORT_S3_URI=s3://shared/exports/ SMSYNC_EXPORT_INSTANCE=team-b \
    bash "$script" >"$work/run2b.log" 2>&1 || true
check_folder "SMSYNC_EXPORT_INSTANCE subfolder" "$work/s3/shared/exports/team-b"
SMSYNC_EXPORT_FOREGROUND=1 SMSYNC_EXPORT_S3_URI=s3://own/prefix/ SMSYNC_EXPORT_PER_INSTANCE=0 \
    bash "$script" >"$work/run2c.log" 2>&1 || true
check_folder "SMSYNC_EXPORT_PER_INSTANCE=0" "$work/s3/own/prefix"

# 3. No destination, or not an S3 one: exit 0 all the same (the instance must start), say why, upload nothing.
uploads_before="$(wc -l <"$work/aws-calls.log")"
status=0
SMSYNC_EXPORT_FOREGROUND=1 SMSYNC_RESOURCE_METADATA="$work/missing.json" bash "$script" >"$work/run3.log" 2>&1 ||
    status=$?
if [[ "$status" == 0 ]] && grep -q "no EXPORT_S3_URI" "$work/run3.log" && grep -q "starts normally" "$work/run3.log"; then
    pass "a run without a destination exits 0 and says why"
else
    fail "a run without a destination: exit $status, $(cat "$work/run3.log")"
fi
status=0
SMSYNC_EXPORT_S3_URI=https://bucket.example.org/x/ bash "$script" >"$work/run3b.log" 2>&1 || status=$?
if [[ "$status" == 0 ]] && grep -q "is not an s3:// URI" "$work/run3b.log"; then
    pass "a non-s3:// destination exits 0 and says why"
else
    fail "a non-s3:// destination: exit $status, $(cat "$work/run3b.log")"
fi
status=0
SMSYNC_EXPORT_FOREGROUND=1 SMSYNC_EXPORT_S3_URI=s3://bucket/x/ SMSYNC_EXPORT_INSTANCE='../escape' \
    bash "$script" >"$work/run3c.log" 2>&1 || status=$?
if [[ "$status" == 0 ]] && grep -q "is not a notebook instance name" "$work/run3c.log"; then
    pass "an instance name that is not one is refused, exit 0"
else
    fail "a bad instance name: exit $status, $(cat "$work/run3c.log")"
fi
if [[ "$(wc -l <"$work/aws-calls.log")" == "$uploads_before" ]]; then
    pass "nothing is uploaded without a valid destination"
else
    fail "something was uploaded without a valid destination"
fi

# 4. Background (the lifecycle default): returns at once, the export completes later into the log.
if SMSYNC_EXPORT_S3_URI=s3://background/exports/ SMSYNC_EXPORT_LOG="$work/background.log" \
    bash "$script" >"$work/run4.log" 2>&1; then
    for _ in $(seq 1 300); do
        grep -q "uploaded 2 environment" "$work/background.log" 2>/dev/null && break
        sleep 0.1
    done
    check_folder "background run" "$work/s3/background/exports/nb"
else
    fail "background run failed: $(cat "$work/run4.log")"
fi

if [[ -n "$keep" ]]; then
    mkdir -p "$keep"
    cp "$work/s3/bucket/smsync/exports/nb/"* "$keep/"
fi

finish "lifecycle test"
