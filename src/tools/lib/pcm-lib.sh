# shellcheck shell=bash
# pcm-lib: what every pcm-ops script needs (result line, exit traps, parameters, scratch dir, OS
# detection). Never run or sourced on its own: the registry inlines it in place of each script's
# `# pcm-include: lib/pcm-lib.sh` line, so the host still receives one self-contained file.
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
