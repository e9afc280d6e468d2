#!/usr/bin/env bash
# SC2317 ("unreachable") is disabled file-wide on purpose: the shared library blocks below must stay
# byte-identical across scripts, so they hold helpers this script never calls, and the trap
# handlers are only invoked indirectly; shellcheck 0.9 reports both as unreachable.
# shellcheck disable=SC2317
#
# pcm-ops  sft-fix / repair — restart the ScaleFT agent with stale runtime state cleared.
#
# Steps: stop sftd; remove stale pid/lock files (allow-list: /var/lib/sftd/*.pid, *.lock,
# /run/sftd.pid, /var/run/sftd.pid, /run/sftd/*.pid — never symlinks, never a pid file whose
# process is alive, and never the device or enrollment token); enable the unit if it is disabled;
# reset-failed; start; wait until active and check it is still active a few seconds later.
# Safe to repeat. Never installs or enrolls (see /sft-fix enrollment).
# ok: active and enrolled. warn: active but not enrolled. fail: not installed or not active after
# the restart (the last journal errors are included, token-like strings masked).
#
# Inputs (environment only): none besides the PCM_* run context.
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
  local before_active before_enabled f pid state start_err
  local -a removed=() kept=() warnings=()

  pcm_start
  pcm_require_supported_os
  if ! pcm_have systemctl; then pcm_finish unsupported "systemd not available: sftd cannot be managed on this host"; fi
  sft_detect_installed
  pcm_d_str package "$SFT_PACKAGE"
  if [[ $SFT_INSTALLED != true ]]; then pcm_finish fail "sftd is not installed (package scaleft-server-tools); repair does not install it"; fi

  sft_state
  before_active=$SFT_ACTIVE
  before_enabled=$SFT_ENABLED
  pcm_d_str activeBefore "$before_active"
  pcm_d_str enabledBefore "$before_enabled"
  pcm_log "Before: sftd $before_active, $before_enabled, enrolled=$SFT_ENROLLED"

  if ! systemctl stop sftd >/dev/null 2>&1; then warnings+=("systemctl stop sftd failed"); fi

  for f in "$SFT_DIR"/*.pid "$SFT_DIR"/*.lock "$ROOT/run/sftd.pid" "$ROOT/var/run/sftd.pid" "$ROOT"/run/sftd/*.pid; do
    # Unmatched globs stay literal and fail -f; symlinks could point anywhere.
    if [[ ! -f $f || -L $f ]]; then continue; fi
    case ${f##*/} in device.token* | enrollment.token*) continue ;; esac
    pid=''
    read -r pid 2>/dev/null <"$f" || true
    if [[ $pid =~ ^[0-9]+$ && -d $ROOT/proc/$pid ]]; then
      kept+=("${f#"$ROOT"} (pid $pid alive)")
      continue
    fi
    if rm -f -- "$f"; then removed+=("${f#"$ROOT"}"); fi
  done
  pcm_d_arr removedFiles ${removed[@]+"${removed[@]}"}
  pcm_d_arr keptFiles ${kept[@]+"${kept[@]}"}
  if ((${#kept[@]} > 0)); then warnings+=("pid files of live processes kept: sftd may not have stopped"); fi

  case $before_enabled in
    disabled)
      if systemctl enable sftd >/dev/null 2>&1; then pcm_log "Enabled sftd at boot"; else warnings+=("systemctl enable sftd failed"); fi
      ;;
    masked) warnings+=("sftd is masked: it cannot start until unmasked (left as is)") ;;
  esac
  systemctl reset-failed sftd >/dev/null 2>&1 || true
  start_err="$PCM_WORK/start.err"
  if ! systemctl start sftd >"$start_err" 2>&1; then
    pcm_last_line "$start_err"
    warnings+=("systemctl start sftd failed: $REPLY")
  fi
  sft_wait_active 30
  state=$REPLY
  if [[ $state == active ]]; then
    # A crash loop looks active for a moment: look again after a few seconds.
    sleep 5
    state=$(systemctl is-active sftd 2>/dev/null) || true
  fi

  sft_state
  sft_version
  sft_d_state
  pcm_d_str version "$SFT_VERSION"
  pcm_d_arr warnings ${warnings[@]+"${warnings[@]}"}
  pcm_log "After: sftd $SFT_ACTIVE, $SFT_ENABLED, enrolled=$SFT_ENROLLED; removed ${#removed[@]} stale file(s)"

  if [[ $state != active || $SFT_ACTIVE != active ]]; then
    sft_journal_errors '-10min'
    pcm_d_num recentErrorCount "$SFT_ERRORS"
    pcm_d_arr recentErrors ${SFT_ERROR_TAIL[@]+"${SFT_ERROR_TAIL[@]}"}
    local last=''
    if ((${#SFT_ERROR_TAIL[@]} > 0)); then last=": ${SFT_ERROR_TAIL[${#SFT_ERROR_TAIL[@]} - 1]}"; fi
    pcm_finish fail "sftd is $SFT_ACTIVE after restart (was $before_active)$last"
  fi
  if [[ $SFT_ENROLLED != true ]]; then
    pcm_finish warn "sftd restarted and active, but not enrolled: run /sft-fix enrollment"
  fi
  if ((${#warnings[@]} > 0)); then
    pcm_join "${warnings[@]}"
    pcm_finish warn "sftd restarted and active, enrolled; $REPLY"
  fi
  pcm_finish ok "sftd restarted and active (was $before_active), enrolled; removed ${#removed[@]} stale file(s)"
}

main "$@"
