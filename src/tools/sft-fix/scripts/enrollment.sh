#!/usr/bin/env bash
# SC2317 ("unreachable") is disabled file-wide on purpose: the shared library blocks below must stay
# byte-identical across scripts, so they hold helpers this script never calls, and the trap
# handlers are only invoked indirectly; shellcheck 0.9 reports both as unreachable.
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

# ---- pcm-lib begin (shared helpers: keep byte-identical in every pcm-ops script; a unit test checks) ----
export LC_ALL=C
# Every time the scripts print is UTC (bash's printf %(...)T follows TZ).
export TZ=UTC
# Tests run scripts against a temporary root; in production PCM_ROOT is unset, so ROOT is "".
ROOT=${PCM_ROOT:-}
# SSM's PATH may omit the sbin directories (grubby, update-grub, fuser live there on some distros).
PATH="${PATH:-/usr/bin:/bin}:$ROOT/usr/local/sbin:$ROOT/usr/sbin:$ROOT/sbin"
# The result line goes to a copy of the original stdout: a trap can fire while a function's
# output is redirected to a file, and the result must still reach SSM.
exec {PCM_STDOUT}>&1
PCM_FINISHED=0
PCM_ERR_LINE=''
PCM_ERR_CMD=''
PCM_WORK=''
PCM_HOSTNAME=''
PCM_NOW=''
OS_ID=''
OS_VERSION_ID=''
OS_PRETTY=''
OS_FAMILY=''
declare -A PCM_DETAILS=()
PCM_DETAIL_KEYS=()
# Files removed on any exit (e.g. a temp file holding a secret).
PCM_CLEANUP_FILES=()
JSON_STR=''

pcm_have() { command -v "$1" >/dev/null 2>&1; }
pcm_log() { printf '%s\n' "$*"; }

# Sets JSON_STR to $1 as a JSON string literal. Pure bash, so host values (unit names, log lines)
# can never break the result line. Not REPLY: recording a detail must not clobber a caller's REPLY.
pcm_json_str() {
  local s=${1-} out='' ch i
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  s=${s//$'\t'/\\t}
  if [[ $s == *[[:cntrl:]]* ]]; then
    for ((i = 0; i < ${#s}; i++)); do
      ch=${s:i:1}
      if [[ $ch == [[:cntrl:]] ]]; then printf -v ch '\\u%04x' "'$ch"; fi
      out+=$ch
    done
    s=$out
  fi
  JSON_STR="\"$s\""
}

# details: insertion-ordered map of key -> JSON literal.
pcm_detail_raw() {
  if [[ -z ${PCM_DETAILS[$1]+x} ]]; then PCM_DETAIL_KEYS+=("$1"); fi
  PCM_DETAILS[$1]=$2
}
pcm_d_str() { pcm_json_str "${2-}"; pcm_detail_raw "$1" "$JSON_STR"; }
pcm_d_num() {
  local re='^-?(0|[1-9][0-9]*)(\.[0-9]+)?$'
  if [[ ${2-} =~ $re ]]; then pcm_detail_raw "$1" "$2"; else pcm_detail_raw "$1" null; fi
}
pcm_d_bool() { if [[ ${2-} == true ]]; then pcm_detail_raw "$1" true; else pcm_detail_raw "$1" false; fi; }
# true | false | null ('' or anything else: unknown / not applicable).
pcm_d_tri() {
  case ${2-} in
    true | false) pcm_detail_raw "$1" "$2" ;;
    *) pcm_detail_raw "$1" null ;;
  esac
}
# String array, capped at 50 items so the result line stays far below SSM's 24,000-char output window.
pcm_d_arr() {
  local key=$1 json='' n=0 item
  shift
  for item in "$@"; do
    n=$((n + 1))
    if ((n <= 50)); then
      pcm_json_str "$item"
      json+="${json:+,}$JSON_STR"
    fi
  done
  if ((n > 50)); then
    pcm_json_str "... and $((n - 50)) more"
    json+=",$JSON_STR"
  fi
  pcm_detail_raw "$key" "[$json]"
}

# Prints the one machine-readable line; always the last line on stdout.
pcm_emit() {
  local status=$1 summary=${2-} body='' key status_json
  summary=${summary//[[:cntrl:]]/ }
  if ((${#summary} > 200)); then summary="${summary:0:197}..."; fi
  for key in ${PCM_DETAIL_KEYS[@]+"${PCM_DETAIL_KEYS[@]}"}; do
    pcm_json_str "$key"
    body+="${body:+,}$JSON_STR:${PCM_DETAILS[$key]}"
  done
  pcm_json_str "$status"
  status_json=$JSON_STR
  pcm_json_str "$summary"
  PCM_FINISHED=1
  printf 'PCM_RESULT {"status":%s,"summary":%s,"details":{%s}}\n' "$status_json" "$JSON_STR" "$body" >&"$PCM_STDOUT"
}
# Exit codes: 0 ok/warn, 1 fail, 2 unsupported, 3 unexpected error (set by the traps below).
pcm_finish() {
  pcm_emit "$1" "${2-}"
  case $1 in
    ok | warn) exit 0 ;;
    fail) exit 1 ;;
    unsupported) exit 2 ;;
    *) exit 3 ;;
  esac
}
pcm_on_exit() {
  local rc=$? f
  for f in ${PCM_CLEANUP_FILES[@]+"${PCM_CLEANUP_FILES[@]}"}; do rm -f -- "$f" || true; done
  if [[ -n $PCM_WORK && -d $PCM_WORK ]]; then rm -rf -- "$PCM_WORK" || true; fi
  if [[ $PCM_FINISHED != 1 ]]; then
    pcm_d_num exitCode "$rc"
    pcm_d_str errorLine "$PCM_ERR_LINE"
    pcm_d_str errorCommand "${PCM_ERR_CMD:0:160}"
    pcm_emit fail "Unexpected script error (exit $rc) at line ${PCM_ERR_LINE:-?}: ${PCM_ERR_CMD:0:120}"
    exit 3
  fi
}
pcm_on_signal() {
  pcm_d_str signal "$1"
  pcm_emit fail "Interrupted by SIG$1 (execution timeout or cancel); check the host, it may be mid-change"
  exit 3
}
trap 'PCM_ERR_LINE=$LINENO; PCM_ERR_CMD=$BASH_COMMAND' ERR
trap pcm_on_exit EXIT
trap 'pcm_on_signal TERM' TERM
trap 'pcm_on_signal INT' INT
trap 'pcm_on_signal HUP' HUP

# REPLY = last non-empty line of a file (command error output), trimmed for the result line.
pcm_last_line() {
  REPLY=''
  if [[ -r $1 ]]; then REPLY=$(awk 'NF { l = $0 } END { print l }' "$1"); fi
  REPLY=${REPLY//[[:cntrl:]]/ }
  REPLY=${REPLY%"${REPLY##*[! ]}"}
  REPLY=${REPLY:0:160}
}
# Joins arguments with "; " into REPLY (for summaries).
pcm_join() {
  local item
  REPLY=''
  for item in "$@"; do REPLY+="${REPLY:+; }$item"; done
}
# --foreground keeps timeout (and the command) in the script's process group, so a cancel or an
# SSM execution timeout that signals the group stops them too, and the signal trap can report.
pcm_timeout() {
  local secs=$1
  shift
  if pcm_have timeout; then timeout --foreground "$secs" "$@"; else "$@"; fi
}
# Number of lines in a newline-separated string (0 for "").
pcm_count_lines() {
  local nl
  if [[ -z $1 ]]; then REPLY=0; else
    nl=${1//[!$'\n']/}
    REPLY=$((${#nl} + 1))
  fi
}
pcm_param_int() { # env-name default min max -> REPLY; a malformed value fails the run
  local name=$1 val
  val=${!name:-$2}
  if [[ ! $val =~ ^[0-9]{1,9}$ ]] || ((10#$val < $3 || 10#$val > $4)); then
    pcm_finish fail "parameter $name must be an integer between $3 and $4"
  fi
  REPLY=$((10#$val))
}
pcm_param_bool() { # env-name default -> REPLY (true|false)
  local name=$1 val
  val=${!name:-$2}
  if [[ $val != true && $val != false ]]; then pcm_finish fail "parameter $name must be true or false"; fi
  REPLY=$val
}

# Contract checks shared by every script, plus a private scratch directory (removed on exit).
# /run and /dev/shm are tried first: they are tmpfs, so a full root filesystem cannot break the QC
# that is meant to report it.
# shellcheck disable=SC2034 # sets output globals for the caller; not every script reads all of them
pcm_start() {
  local uid d
  if [[ -n $ROOT && ($ROOT != /* || ! -d $ROOT) ]]; then pcm_finish fail "PCM_ROOT must be an existing absolute directory"; fi
  uid=$(id -u 2>/dev/null) || uid=unknown
  if [[ $uid != 0 ]]; then pcm_finish fail "must run as root (uid $uid); SSM Run Command runs scripts as root"; fi
  if [[ -r $ROOT/proc/sys/kernel/hostname ]]; then read -r PCM_HOSTNAME <"$ROOT/proc/sys/kernel/hostname" || true; fi
  if [[ -z $PCM_HOSTNAME ]]; then PCM_HOSTNAME=$(uname -n 2>/dev/null) || PCM_HOSTNAME=''; fi
  pcm_d_str hostname "$PCM_HOSTNAME"
  # One clock read per run: every age and boot-time comparison uses the same "now".
  PCM_NOW=$(date +%s)
  for d in "$ROOT/run" "$ROOT/dev/shm" "$ROOT/tmp"; do
    if [[ -d $d ]] && PCM_WORK=$(mktemp -d "$d/pcm-ops.XXXXXXXX" 2>/dev/null); then return 0; fi
  done
  PCM_WORK=''
  pcm_finish fail "cannot create a scratch directory in /run, /dev/shm or /tmp"
}

# REPLY = value of KEY in an os-release file, one level of quotes removed. The file is parsed,
# never sourced, so its content cannot run code.
pcm_os_release_get() {
  local line val
  REPLY=''
  while IFS= read -r line || [[ -n $line ]]; do
    if [[ $line == "$1="* ]]; then
      val=${line#*=}
      if [[ ${#val} -ge 2 && ($val == \"*\" || $val == \'*\') ]]; then val=${val:1:${#val}-2}; fi
      REPLY=$val
    fi
  done <"$2"
}
# Sets OS_ID, OS_VERSION_ID, OS_PRETTY, OS_FAMILY (rhel | debian | unsupported) and their details.
# Only the IDs below are accepted (not ID_LIKE): patching a distribution nobody tested is worse than
# saying "unsupported".
pcm_detect_os() {
  local f="$ROOT/etc/os-release"
  if [[ ! -r $f ]]; then f="$ROOT/usr/lib/os-release"; fi
  if [[ -r $f ]]; then
    pcm_os_release_get ID "$f"
    OS_ID=${REPLY,,}
    pcm_os_release_get VERSION_ID "$f"
    OS_VERSION_ID=$REPLY
    pcm_os_release_get PRETTY_NAME "$f"
    OS_PRETTY=${REPLY:-$OS_ID $OS_VERSION_ID}
  else
    OS_ID=unknown
    OS_PRETTY='unknown (no /etc/os-release)'
  fi
  case $OS_ID in
    rhel | centos | rocky | almalinux | ol | amzn | fedora) OS_FAMILY=rhel ;;
    debian | ubuntu) OS_FAMILY=debian ;;
    *) OS_FAMILY=unsupported ;;
  esac
  pcm_d_str osId "$OS_ID"
  pcm_d_str osVersionId "$OS_VERSION_ID"
  pcm_d_str osPrettyName "$OS_PRETTY"
  pcm_d_str osFamily "$OS_FAMILY"
}
pcm_require_supported_os() {
  pcm_detect_os
  if [[ $OS_FAMILY == unsupported ]]; then
    pcm_finish unsupported "Unsupported OS '${OS_PRETTY:0:60}' (ID=${OS_ID:0:30}): only RHEL-family and Debian-family Linux are handled"
  fi
}
# ---- pcm-lib end ----

# ---- pcm-sft-lib begin (shared by the sft-fix scripts; keep byte-identical) ----
SFT_DIR="$ROOT/var/lib/sftd"
SFT_INSTALLED=false
SFT_PACKAGE=''
SFT_ACTIVE=''
SFT_ENABLED=''
SFT_ENROLLED=false
SFT_VERSION=''
SFT_ERRORS=''
SFT_ERROR_TAIL=()

# SFT_INSTALLED / SFT_PACKAGE: the scaleft-server-tools package, or an sftd binary on PATH.
sft_detect_installed() {
  local status=''
  SFT_INSTALLED=false
  SFT_PACKAGE=''
  case $OS_FAMILY in
    rhel)
      if pcm_have rpm; then SFT_PACKAGE=$(rpm -q scaleft-server-tools 2>/dev/null) || SFT_PACKAGE=''; fi
      ;;
    debian)
      if pcm_have dpkg-query; then
        status=$(dpkg-query -W -f="\${Status} \${Version}" scaleft-server-tools 2>/dev/null) || status=''
        if [[ $status == 'install ok installed '* ]]; then SFT_PACKAGE="scaleft-server-tools ${status##* }"; fi
      fi
      ;;
  esac
  if [[ -n $SFT_PACKAGE ]] || pcm_have sftd; then SFT_INSTALLED=true; fi
}

# SFT_ACTIVE / SFT_ENABLED as systemctl prints them; SFT_ENROLLED from device.token's existence
# (the file is a credential: it is never read).
sft_state() {
  SFT_ACTIVE=$(systemctl is-active sftd 2>/dev/null) || true
  SFT_ENABLED=$(systemctl is-enabled sftd 2>/dev/null) || true
  SFT_ACTIVE=${SFT_ACTIVE:-unknown}
  SFT_ENABLED=${SFT_ENABLED:-unknown}
  if [[ -s $SFT_DIR/device.token ]]; then SFT_ENROLLED=true; else SFT_ENROLLED=false; fi
}

sft_version() {
  SFT_VERSION=''
  if pcm_have sftd; then SFT_VERSION=$(sftd --version 2>/dev/null) || SFT_VERSION=''; fi
  SFT_VERSION=${SFT_VERSION%%$'\n'*}
  SFT_VERSION=${SFT_VERSION//[[:cntrl:]]/ }
  SFT_VERSION=${SFT_VERSION:0:80}
}

# Waits up to $1 seconds for sftd to settle; REPLY = last is-active state. "failed" ends the wait,
# "activating" (e.g. restart back-off) keeps it going.
sft_wait_active() {
  local i state=''
  for ((i = 0; i < $1; i++)); do
    state=$(systemctl is-active sftd 2>/dev/null) || true
    if [[ $state == active || $state == failed ]]; then break; fi
    sleep 1
  done
  REPLY=${state:-unknown}
}

# REPLY = $1 made safe for the result: control characters removed, long token-like runs masked
# (log lines may quote credentials), at most 200 characters.
sft_redact() {
  local s=${1//[[:cntrl:]]/ } re='[A-Za-z0-9+/=_.-]{32,}'
  while [[ $s =~ $re ]]; do s=${s/"${BASH_REMATCH[0]}"/[redacted]}; done
  REPLY=${s:0:200}
}

# SFT_ERRORS = error-priority journal lines of sftd since $1 ('' when journalctl is missing);
# SFT_ERROR_TAIL = the last five of them, redacted.
sft_journal_errors() {
  local out line i
  local -a lines=()
  SFT_ERRORS=''
  SFT_ERROR_TAIL=()
  pcm_have journalctl || return 0
  out=$(journalctl -u sftd --since "$1" -p err --no-pager -q -o cat 2>/dev/null) || true
  while IFS= read -r line; do
    if [[ -n $line ]]; then lines+=("$line"); fi
  done < <(printf '%s\n' "$out")
  SFT_ERRORS=${#lines[@]}
  for ((i = SFT_ERRORS > 5 ? SFT_ERRORS - 5 : 0; i < SFT_ERRORS; i++)); do
    sft_redact "${lines[i]}"
    SFT_ERROR_TAIL+=("$REPLY")
  done
}

sft_d_state() {
  pcm_d_str active "$SFT_ACTIVE"
  pcm_d_str enabled "$SFT_ENABLED"
  pcm_d_bool enrolled "$SFT_ENROLLED"
}
# ---- pcm-sft-lib end ----

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
