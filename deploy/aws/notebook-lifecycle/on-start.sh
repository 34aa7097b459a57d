#!/bin/bash
# SageMaker notebook-instance lifecycle configuration (on-start): publish the conda kernels' exports for smsync.
#
# For every conda environment on the instance (except `base` and `JupyterSystemEnv`, which are not kernels), this
# writes `conda env export --no-builds` to <env>.yml and that environment's `pip freeze` to <env>_pip.txt, then the
# index `environment_list.txt`, and uploads them to an S3 prefix, followed by the freshness marker `exported_at.txt`.
# That is the layout smsync's `env-export` source reads (point its `url:` at the folder served over HTTPS).
#
#   environment_list.txt   one line per environment: `<env> sha256:<hex>`, the SHA-256 of <env>.yml followed by
#                          <env>_pip.txt (the same digest smsync gives that export), so the index's bytes, and so
#                          S3's ETag, change whenever any export does: smsync's one conditional request sees it
#   exported_at.txt        the UTC time the upload finished (`2025-06-01T12:00:00Z`); uploaded after the index
#
# Where the files go, first found wins:
#   1. EXPORT_S3_URI below (edit it here, or set SMSYNC_EXPORT_S3_URI), e.g. s3://my-bucket/smsync/exports/
#   2. the notebook instance's tag `smsync-export-uri` (needs sagemaker:ListTags on the instance itself)
# and then into a subfolder named after the notebook instance (s3://my-bucket/smsync/exports/<instance-name>/), so
# several instances sharing a prefix never overwrite each other; SMSYNC_EXPORT_PER_INSTANCE=0 writes to the prefix
# itself (when the prefix is already one instance's). The instance's execution role grants the upload:
# iam-policy.json beside this script (s3:PutObject on the prefix, sagemaker:ListTags for the tag). No secret
# belongs in this script.
#
# conda runs as ec2-user (`sudo -u ec2-user -i`, as AWS's lifecycle samples do), so the user's own environments are
# seen and no root-owned file is left in the user's conda folders.
#
# The script always exits 0: a failing on-start script stops the notebook instance from starting. Problems are
# logged (to EXPORT_LOG, and to the lifecycle configuration's CloudWatch log stream) and the instance starts anyway.
#
# Lifecycle scripts are stopped after 5 minutes, and exporting a dozen environments can take longer: the export runs
# in the background (nohup), itself bounded by EXPORT_TIMEOUT_SECONDS, and logs to EXPORT_LOG.
# Files are uploaded first and the index last, so a reader never sees an index naming a file not yet there.
set -euo pipefail

EXPORT_S3_URI="${SMSYNC_EXPORT_S3_URI:-}"
EXPORT_TAG_KEY="smsync-export-uri"
EXPORT_PER_INSTANCE="${SMSYNC_EXPORT_PER_INSTANCE:-1}"
EXPORT_INSTANCE="${SMSYNC_EXPORT_INSTANCE:-}"
# The user conda runs as; empty runs it as the script's own user.
EXPORT_USER="${SMSYNC_EXPORT_USER-ec2-user}"
EXPORT_TIMEOUT_SECONDS="${SMSYNC_EXPORT_TIMEOUT_SECONDS:-1800}"
EXPORT_LOG="${SMSYNC_EXPORT_LOG:-/var/log/smsync-env-export.log}"
RESOURCE_METADATA="${SMSYNC_RESOURCE_METADATA:-/opt/ml/metadata/resource-metadata.json}"
# Set SMSYNC_EXPORT_FOREGROUND=1 to export and upload before returning (tests, or running it by hand).
EXPORT_FOREGROUND="${SMSYNC_EXPORT_FOREGROUND:-0}"

# Messages go to stderr: stdout of these functions is data.
log() {
    printf '%s smsync-export: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2
}

# Runs a command as EXPORT_USER through a login shell (its PATH, HOME and conda settings), unless already that user.
as_user() {
    if [[ -z "$EXPORT_USER" || "$(id -un)" == "$EXPORT_USER" ]]; then
        "$@"
    else
        sudo -u "$EXPORT_USER" -i "$@"
    fi
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

# The instance's name, from the metadata file.
instance_name() {
    [[ -r "$RESOURCE_METADATA" ]] || return 1
    sed -n 's/.*"ResourceName"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$RESOURCE_METADATA" | head -n 1
}

# The destination folder, ending in `/`: the prefix (the variable above, else the instance tag), then the instance's
# own subfolder unless EXPORT_PER_INSTANCE is 0.
resolve_destination() {
    local prefix instance
    prefix="$(resolve_prefix)" || return 1
    if [[ "$prefix" != s3://?* ]]; then
        log "destination '$prefix' is not an s3:// URI"
        return 1
    fi
    prefix="${prefix%/}/"
    if [[ "$EXPORT_PER_INSTANCE" == 0 ]]; then
        printf '%s\n' "$prefix"
        return 0
    fi
    instance="$EXPORT_INSTANCE"
    if [[ -z "$instance" ]]; then
        instance="$(instance_name)" || { log "no SMSYNC_EXPORT_INSTANCE and no readable $RESOURCE_METADATA"; return 1; }
    fi
    if [[ ! "$instance" =~ ^[A-Za-z0-9][A-Za-z0-9-]{0,62}$ ]]; then
        log "'$instance' is not a notebook instance name"
        return 1
    fi
    printf '%s%s/\n' "$prefix" "$instance"
}

# The prefix: the variable above, else the instance tag.
resolve_prefix() {
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
    listing="$(as_user "$conda" env list)" || { log "conda env list failed"; return 1; }
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

# `sha256:<hex>` of <env>.yml followed by <env>_pip.txt (when there is one): the digest smsync gives the export.
export_digest() {
    local folder="$1" name="$2" files=("$1/$2.yml") sum
    [[ -f "$folder/${name}_pip.txt" ]] && files+=("$folder/${name}_pip.txt")
    sum="$(cat "${files[@]}" | sha256sum)"
    printf 'sha256:%s\n' "${sum%% *}"
}

# Exports every environment into a fresh folder and uploads it; the index goes last, then the freshness marker.
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
        if ! as_user "$conda" env export --no-builds -n "$name" >"$staging/$name.yml"; then
            log "conda env export failed for $name; left out"
            rm -f "$staging/$name.yml"
            continue
        fi
        if ! as_user "$conda" run -n "$name" pip freeze >"$staging/${name}_pip.txt"; then
            log "pip freeze failed for $name; its export is kept without a freeze"
            rm -f "$staging/${name}_pip.txt"
        fi
        printf '%s %s\n' "$name" "$(export_digest "$staging" "$name")" >>"$staging/environment_list.txt.partial"
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
    date -u +%Y-%m-%dT%H:%M:%SZ >"$staging/exported_at.txt"
    aws s3 cp --only-show-errors --content-type "$(content_type exported_at.txt)" \
        "$staging/exported_at.txt" "${destination}exported_at.txt"
    log "uploaded $exported environment(s) to $destination"
}

main() {
    local destination
    destination="$(resolve_destination)"
    if [[ "$EXPORT_FOREGROUND" == 1 ]]; then
        run_export "$destination"
        return
    fi
    export RESOURCE_METADATA EXPORT_USER
    export -f log as_user find_conda environment_names content_type export_digest run_export
    log "exporting in the background to $destination (log: $EXPORT_LOG)"
    # The lifecycle script returns at once; the export goes on, stopped after EXPORT_TIMEOUT_SECONDS at most.
    # shellcheck disable=SC2016 # $1 is for the inner bash, which gets the destination as its argument
    nohup timeout "$EXPORT_TIMEOUT_SECONDS" bash -c 'set -euo pipefail; run_export "$1"' smsync-export \
        "$destination" >>"$EXPORT_LOG" 2>&1 </dev/null &
}

# Never fail the instance's start: any error above is logged, and the script exits 0.
set +e
(
    set -e
    main "$@"
)
status=$?
if ((status != 0)); then
    log "no export this time (status $status); the notebook instance starts normally"
fi
exit 0
