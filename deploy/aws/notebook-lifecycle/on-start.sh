#!/bin/bash
# SageMaker notebook-instance lifecycle configuration (on-start): publish the conda kernels' exports for smsync.
#
# For every conda environment on the instance (except `base` and `JupyterSystemEnv`, which are not kernels), this
# writes `conda env export --no-builds` to <env>.yml and that environment's `pip freeze` to <env>_pip.txt, then an
# index `environment_list.txt` (one environment name per line), and uploads them to an S3 prefix. That is the
# layout smsync's `env-export` source reads (point its `url:` at the prefix served over HTTPS).
#
# Where the files go, first found wins:
#   1. EXPORT_S3_URI below (edit it here), e.g. s3://my-bucket/smsync/exports/
#   2. the notebook instance's tag `smsync-export-uri` (needs sagemaker:ListTags on the instance itself)
# The instance's execution role grants the upload (s3:PutObject on that prefix). No secret belongs in this script.
#
# Lifecycle scripts are stopped after 5 minutes, and exporting a dozen environments can take longer: the export runs
# in the background (nohup), itself bounded by EXPORT_TIMEOUT_SECONDS, and logs to EXPORT_LOG.
# Files are uploaded first and the index last, so a reader never sees an index naming a file not yet there.
set -euo pipefail

EXPORT_S3_URI="${SMSYNC_EXPORT_S3_URI:-}"
EXPORT_TAG_KEY="smsync-export-uri"
EXPORT_TIMEOUT_SECONDS="${SMSYNC_EXPORT_TIMEOUT_SECONDS:-1800}"
EXPORT_LOG="${SMSYNC_EXPORT_LOG:-/var/log/smsync-env-export.log}"
RESOURCE_METADATA="${SMSYNC_RESOURCE_METADATA:-/opt/ml/metadata/resource-metadata.json}"
# Set SMSYNC_EXPORT_FOREGROUND=1 to export and upload before returning (tests, or running it by hand).
EXPORT_FOREGROUND="${SMSYNC_EXPORT_FOREGROUND:-0}"

# Messages go to stderr: stdout of these functions is data.
log() {
    printf '%s smsync-export: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2
}

# The conda executable: the one on PATH, else the notebook instance's Anaconda (lifecycle scripts run as root).
find_conda() {
    local found
    if found="$(command -v conda)"; then
        printf '%s\n' "$found"
    elif [[ -x /home/ec2-user/anaconda3/bin/conda ]]; then
        printf '%s\n' /home/ec2-user/anaconda3/bin/conda
    else
        return 1
    fi
}

# The instance's ARN, from the metadata file SageMaker writes on every notebook instance.
instance_arn() {
    [[ -r "$RESOURCE_METADATA" ]] || return 1
    sed -n 's/.*"ResourceArn"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$RESOURCE_METADATA" | head -n 1
}

# The destination: the variable above, else the instance tag.
resolve_destination() {
    if [[ -n "$EXPORT_S3_URI" ]]; then
        printf '%s\n' "$EXPORT_S3_URI"
        return 0
    fi
    local arn region value
    arn="$(instance_arn)" || { log "no EXPORT_S3_URI and no readable $RESOURCE_METADATA"; return 1; }
    [[ "$arn" == arn:*:sagemaker:*:*:notebook-instance/* ]] || { log "unexpected instance ARN '$arn'"; return 1; }
    region="$(cut -d: -f4 <<<"$arn")"
    value="$(aws sagemaker list-tags --region "$region" --resource-arn "$arn" \
        --query "Tags[?Key=='$EXPORT_TAG_KEY'].Value | [0]" --output text)"
    if [[ -z "$value" || "$value" == "None" ]]; then
        log "no EXPORT_S3_URI set and no '$EXPORT_TAG_KEY' tag on $arn"
        return 1
    fi
    printf '%s\n' "$value"
}

# Environment names, one a line, from `conda env list`: named environments only, without base and JupyterSystemEnv.
# Names are checked to be letters, digits, `.`, `_`, `-`, as smsync requires of an environment name.
environment_names() {
    local conda="$1" listing line name
    listing="$("$conda" env list)" || { log "conda env list failed"; return 1; }
    while IFS= read -r line; do
        read -r name _ <<<"$line" || true
        [[ -z "$name" || "$name" == \#* ]] && continue
        # A line holding only a path is an environment without a name.
        [[ "$name" == /* ]] && continue
        case "$name" in
            base | JupyterSystemEnv) continue ;;
        esac
        if [[ ! "$name" =~ ^[A-Za-z0-9_][A-Za-z0-9._-]*$ ]]; then
            log "skipping environment '$name': not a plain name"
            continue
        fi
        printf '%s\n' "$name"
    done <<<"$listing"
}

content_type() {
    case "$1" in
        *.yml) printf 'text/yaml; charset=utf-8\n' ;;
        *) printf 'text/plain; charset=utf-8\n' ;;
    esac
}

# Exports every environment into a fresh folder and uploads it; the index goes last.
run_export() {
    local destination="$1" conda staging names name exported=0 file
    conda="$(find_conda)" || { log "conda not found"; return 1; }
    names="$(environment_names "$conda")" || return 1
    staging="$(mktemp -d)"
    # shellcheck disable=SC2064 # expand now: the folder is fixed once created
    trap "rm -rf '$staging'" EXIT
    : >"$staging/environment_list.txt.partial"
    while IFS= read -r name; do
        [[ -n "$name" ]] || continue
        log "exporting $name"
        if ! "$conda" env export --no-builds -n "$name" >"$staging/$name.yml"; then
            log "conda env export failed for $name; left out"
            rm -f "$staging/$name.yml"
            continue
        fi
        if ! "$conda" run -n "$name" pip freeze >"$staging/${name}_pip.txt"; then
            log "pip freeze failed for $name; its export is kept without a freeze"
            rm -f "$staging/${name}_pip.txt"
        fi
        printf '%s\n' "$name" >>"$staging/environment_list.txt.partial"
        exported=$((exported + 1))
    done <<<"$names"
    if ((exported == 0)); then
        log "no environment exported; nothing uploaded"
        return 1
    fi
    mv "$staging/environment_list.txt.partial" "$staging/environment_list.txt"
    destination="${destination%/}/"
    for file in "$staging"/*; do
        [[ "${file##*/}" == environment_list.txt ]] && continue
        aws s3 cp --only-show-errors --content-type "$(content_type "$file")" "$file" "$destination${file##*/}"
    done
    aws s3 cp --only-show-errors --content-type "$(content_type index.txt)" \
        "$staging/environment_list.txt" "${destination}environment_list.txt"
    log "uploaded $exported environment(s) to $destination"
}

main() {
    local destination
    destination="$(resolve_destination)"
    if [[ "$destination" != s3://?* ]]; then
        log "destination '$destination' is not an s3:// URI"
        return 1
    fi
    if [[ "$EXPORT_FOREGROUND" == 1 ]]; then
        run_export "$destination"
        return
    fi
    export RESOURCE_METADATA
    export -f log find_conda environment_names content_type run_export
    log "exporting in the background to $destination (log: $EXPORT_LOG)"
    # The lifecycle script returns at once; the export goes on, stopped after EXPORT_TIMEOUT_SECONDS at most.
    # shellcheck disable=SC2016 # $1 is for the inner bash, which gets the destination as its argument
    nohup timeout "$EXPORT_TIMEOUT_SECONDS" bash -c 'set -euo pipefail; run_export "$1"' smsync-export \
        "$destination" >>"$EXPORT_LOG" 2>&1 </dev/null &
}

main "$@"
