#!/usr/bin/env bash
# SC2317 ("unreachable") is disabled file-wide on purpose: the libraries included below hold
# helpers this script never calls, and the trap handlers are only invoked indirectly; shellcheck
# 0.9 reports both as unreachable in the expanded script.
# shellcheck disable=SC2317
#
# pcm-ops  sft-fix / enrollment — (re-)enroll the ScaleFT agent with a token from SSM Parameter Store.
#
# The token is read ON THE INSTANCE with the instance role:
#   aws ssm get-parameter --with-decryption --name "$PCM_SETTING_ENROLLMENT_TOKEN_PARAMETER" \
#     --query Parameter.Value --output text
# and aws's stdout is redirected straight into a mode-0600 temp file in /var/lib/sftd, which is then
# renamed to /var/lib/sftd/enrollment.token. The token never enters a shell variable, an argv (ps),
# stdout/stderr or the result; checks on it only pass the file's path. The temp file is removed on
# any exit. When no AWS region is configured the instance's region is read from IMDSv2 (curl), since
# AWS CLI v1 does not do that itself.
# Already enrolled (device.token present) and force=false: nothing changes. force=true moves the
# device token aside (device.token.bak-<UTC time>, 0600, kept so it can be restored by hand) so that
# sftd enrolls anew. Then sftd is restarted and must be active with a device token within ~60 s.
# A failed enrollment leaves enrollment.token in place (sftd retries with it on its next start).
#
# Inputs (environment only): PCM_SETTING_ENROLLMENT_TOKEN_PARAMETER, PCM_PARAM_FORCE (true|false).
# Output: a few human lines, then exactly one last line `PCM_RESULT {json}`.
# Exit codes: 0 ok/warn, 1 fail, 2 unsupported OS or no systemd, 3 unexpected script error.
set -Eeuo pipefail

# pcm-include: lib/pcm-lib.sh

# pcm-include: lib/pcm-sft-lib.sh

main() {
  local param force re='^/?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$' tmp errf start_err backup stamp lines state i
  local imds='' region=''
  local -a region_args=() warnings=()

  pcm_start
  pcm_require_supported_os
  param=${PCM_SETTING_ENROLLMENT_TOKEN_PARAMETER:-}
  pcm_d_str tokenParameter "${param:0:200}"
  if ((${#param} > 1011)) || [[ ! $param =~ $re ]]; then
    pcm_finish fail "tool setting enrollmentTokenParameter (PCM_SETTING_ENROLLMENT_TOKEN_PARAMETER) is missing or not an SSM parameter name"
  fi
  pcm_param_bool PCM_PARAM_FORCE false
  force=$REPLY
  pcm_d_bool force "$force"
  if ! pcm_have systemctl; then pcm_finish unsupported "systemd not available: sftd cannot be managed on this host"; fi
  sft_detect_installed
  pcm_d_str package "$SFT_PACKAGE"
  if [[ $SFT_INSTALLED != true ]]; then pcm_finish fail "sftd is not installed (package scaleft-server-tools); install it before enrolling"; fi

  sft_state
  pcm_d_bool enrolledBefore "$SFT_ENROLLED"
  pcm_d_str activeBefore "$SFT_ACTIVE"
  if [[ $SFT_ENROLLED == true && $force == false ]]; then
    sft_d_state
    pcm_d_bool changed false
    if [[ $SFT_ACTIVE == active ]]; then
      pcm_finish ok "sftd is already enrolled and running; nothing changed (force=true re-enrolls)"
    fi
    pcm_finish warn "sftd is enrolled but $SFT_ACTIVE; nothing changed: run /sft-fix repair, or force=true to re-enroll"
  fi
  if ! pcm_have aws; then pcm_finish fail "aws CLI not found on the instance: it is needed to read the enrollment token from SSM Parameter Store"; fi

  if [[ ! -d $SFT_DIR ]] && ! mkdir -m 0700 -- "$SFT_DIR" 2>/dev/null; then pcm_finish fail "cannot create /var/lib/sftd"; fi
  tmp=$(mktemp "$SFT_DIR/.enrollment.token.XXXXXX" 2>/dev/null) || pcm_finish fail "cannot create a temporary file in /var/lib/sftd (disk full?)"
  PCM_CLEANUP_FILES+=("$tmp")
  chmod 0600 -- "$tmp"

  if [[ -z ${AWS_REGION:-} && -z ${AWS_DEFAULT_REGION:-} ]] && pcm_have curl; then
    imds=$(curl -sf -m 2 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token 2>/dev/null) || imds=''
    if [[ -n $imds ]]; then
      region=$(curl -sf -m 2 -H "X-aws-ec2-metadata-token: $imds" http://169.254.169.254/latest/meta-data/placement/region 2>/dev/null) || region=''
    fi
    if [[ $region =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]]; then region_args=(--region "$region"); fi
  fi
  pcm_d_str region "${region:-${AWS_REGION:-${AWS_DEFAULT_REGION:-}}}"

  pcm_log "Reading the enrollment token from SSM parameter $param"
  errf="$PCM_WORK/aws.err"
  if ! aws ssm get-parameter --with-decryption --name "$param" --query Parameter.Value --output text \
    ${region_args[@]+"${region_args[@]}"} >"$tmp" 2>"$errf"; then
    pcm_last_line "$errf"
    sft_redact "$REPLY"
    pcm_d_bool changed false
    pcm_finish fail "cannot read SSM parameter $param: $REPLY"
  fi
  # Only the file's path reaches grep and wc (stdin), never its content.
  lines=$(wc -l <"$tmp")
  if ! grep -q . "$tmp" || grep -qx 'None' "$tmp" || grep -q '[[:space:]]' "$tmp" || ((lines > 1)); then
    pcm_d_bool changed false
    pcm_finish fail "SSM parameter $param does not hold a single-line enrollment token"
  fi

  if ! systemctl stop sftd >/dev/null 2>&1; then warnings+=("systemctl stop sftd failed"); fi
  if [[ $force == true && -e $SFT_DIR/device.token ]]; then
    printf -v stamp '%(%Y%m%dT%H%M%SZ)T' "$PCM_NOW"
    backup="$SFT_DIR/device.token.bak-$stamp"
    if ! mv -f -- "$SFT_DIR/device.token" "$backup"; then pcm_finish fail "cannot move the old device token aside for re-enrollment"; fi
    chmod 0600 -- "$backup" || true
    pcm_d_str previousDeviceTokenBackup "${backup#"$ROOT"}"
    pcm_log "Moved the old device token to ${backup#"$ROOT"}"
  fi
  if ! mv -f -- "$tmp" "$SFT_DIR/enrollment.token"; then pcm_finish fail "cannot install /var/lib/sftd/enrollment.token"; fi
  PCM_CLEANUP_FILES=()
  pcm_d_bool changed true
  pcm_log "Enrollment token written to /var/lib/sftd/enrollment.token (mode 0600); restarting sftd"

  systemctl reset-failed sftd >/dev/null 2>&1 || true
  start_err="$PCM_WORK/start.err"
  if ! systemctl start sftd >"$start_err" 2>&1; then
    pcm_last_line "$start_err"
    warnings+=("systemctl start sftd failed: $REPLY")
  fi
  sft_wait_active 30
  state=$REPLY
  # sftd writes device.token once the ScaleFT service accepted the enrollment token.
  for ((i = 0; i < 30; i++)); do
    if [[ $state != active || -s $SFT_DIR/device.token ]]; then break; fi
    sleep 2
  done

  sft_state
  sft_version
  sft_d_state
  pcm_d_str version "$SFT_VERSION"
  if [[ -e $SFT_DIR/enrollment.token ]]; then pcm_d_bool enrollmentTokenPending true; else pcm_d_bool enrollmentTokenPending false; fi
  pcm_d_arr warnings ${warnings[@]+"${warnings[@]}"}
  if [[ $SFT_ACTIVE == active && $SFT_ENROLLED == true ]]; then
    if ((${#warnings[@]} > 0)); then
      pcm_join "${warnings[@]}"
      pcm_finish warn "sftd enrolled and running; $REPLY"
    fi
    pcm_finish ok "sftd enrolled with the token from $param and running"
  fi
  sft_journal_errors '-10min'
  pcm_d_num recentErrorCount "$SFT_ERRORS"
  pcm_d_arr recentErrors ${SFT_ERROR_TAIL[@]+"${SFT_ERROR_TAIL[@]}"}
  if [[ $SFT_ACTIVE != active ]]; then
    pcm_finish fail "sftd is $SFT_ACTIVE after installing the enrollment token; see recentErrors"
  fi
  pcm_finish fail "sftd is running but did not enroll within 60 s (no device token); see recentErrors"
}

main "$@"
