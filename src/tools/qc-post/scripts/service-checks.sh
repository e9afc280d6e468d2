#!/usr/bin/env bash
# SC2317 ("unreachable") is disabled file-wide on purpose: the shared library blocks below must stay
# byte-identical across scripts, so they hold helpers this script never calls, and the trap
# handlers are only invoked indirectly; shellcheck 0.9 reports both as unreachable.
# shellcheck disable=SC2317
#
# pcm-ops  qc-post / service-checks — compare services with the initial-qc snapshot of the same
# change. Read-only.
#
# fail: a service that ran before patching is not running now, or a unit failed that had not failed
#       before (newly failed).
# warn: units that had already failed before patching are still failed.
# On-demand and per-session services (user@N, systemd-hostnamed, packagekit, apt-daily, …) start
# and stop by themselves; they are listed as ignored instead of failing the check.
#
# Inputs (environment only): PCM_CHANGE_NUMBER.
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
# ---- pcm-qc-lib begin (shared by the qc-prep and qc-post scripts; keep byte-identical) ----
export DEBIAN_FRONTEND=noninteractive
QC_DIR=''
KERNEL_RE='^[0-9]+\.[0-9]+\.[0-9]+-[0-9A-Za-z._+~-]+$'
PKG_MGR=''
PENDING_STATE=''
PENDING_COUNT=''
PENDING_MSG=''
LOCK_HELD=false
LOCK_METHOD=''
LOCK_HOLDERS=()
DISK_AVAIL_MB=''
DISK_MOUNT=''
DEFAULT_KERNEL=''
DEFAULT_ENTRY=''

# The change number names the snapshot directory, so it must be a plain token (no path tricks).
qc_init_change() {
  local chg=${PCM_CHANGE_NUMBER:-} re='^[A-Z]{2,10}[0-9]{3,12}$'
  if [[ ! $chg =~ $re ]]; then
    pcm_d_str changeNumber "${chg:0:40}"
    pcm_finish fail "PCM_CHANGE_NUMBER is missing or malformed (expected e.g. CHG0012345)"
  fi
  pcm_d_str changeNumber "$chg"
  QC_DIR="$ROOT/var/lib/pcm-ops/qc/$chg"
  pcm_d_str snapshotDir "${QC_DIR#"$ROOT"}"
}

# Installed kernels in `uname -r` form, one per line, version-sorted.
qc_installed_kernels() {
  case $OS_FAMILY in
    rhel)
      if pcm_have rpm; then
        rpm -qa --qf '%{VERSION}-%{RELEASE}.%{ARCH}\n' kernel kernel-core kernel-uek kernel-uek-core 2>/dev/null | sort -uV || true
      fi
      ;;
    debian)
      if pcm_have dpkg-query; then
        dpkg-query -W -f="\${Package} \${Status}\n" 'linux-image-[0-9]*' 2>/dev/null |
          awk '($2 == "install" || $2 == "hold") && $4 == "installed" { sub(/^linux-image-/, "", $1); print $1 }' |
          sort -uV || true
      fi
      ;;
  esac
}

# Free space of the filesystem holding $1: DISK_AVAIL_MB and DISK_MOUNT ('' when unknown).
# Parsed with a bash regex, not a here-string: bash < 5.1 backs those with a temp file, which fails
# on the full disk this check exists to report.
# shellcheck disable=SC2034 # sets output globals for the caller; not every script reads all of them
qc_disk() {
  local out line re='^[^ ]+ +[0-9]+ +[0-9]+ +([0-9]+) +[0-9]+% +(.+)$'
  DISK_AVAIL_MB=''
  DISK_MOUNT=''
  pcm_have df || return 0
  out=$(df -P -k -- "$1" 2>/dev/null) || return 0
  line=${out#*$'\n'}
  line=${line%%$'\n'*}
  if [[ $line =~ $re ]]; then
    DISK_AVAIL_MB=$((BASH_REMATCH[1] / 1024))
    DISK_MOUNT=${BASH_REMATCH[2]}
  fi
}

qc_pkg_mgr() {
  PKG_MGR=''
  case $OS_FAMILY in
    rhel) if pcm_have dnf; then PKG_MGR=dnf; elif pcm_have yum; then PKG_MGR=yum; fi ;;
    debian) if pcm_have apt-get; then PKG_MGR=apt-get; fi ;;
  esac
}

# Pending updates: PENDING_STATE ok|error, PENDING_COUNT, PENDING_MSG. Refreshes repository metadata
# first (dnf does it implicitly; apt-get update explicitly) so the count is current, and counts
# `dist-upgrade` on Debian because kernel updates need new packages (plain `upgrade` keeps them back).
# REPLY = package lines in `dnf/yum check-update` output ("name.arch version repo"; yum wraps a
# long name onto a line of its own). The "Obsoleting Packages" section is not counted.
qc_count_rpm_updates() {
  local line re='^[^ ]+\.[A-Za-z0-9_]+( +[^ ]+ +[^ ]+)? *$'
  REPLY=0
  while IFS= read -r line; do
    if [[ $line == 'Obsoleting Packages'* ]]; then break; fi
    if [[ $line =~ $re ]]; then REPLY=$((REPLY + 1)); fi
  done <"$1"
}

# shellcheck disable=SC2034 # sets output globals for the caller; not every script reads all of them
qc_pending_updates() {
  local out="$PCM_WORK/pending.out" err="$PCM_WORK/pending.err" rc=0 line
  PENDING_STATE=error
  PENDING_COUNT=''
  PENDING_MSG=''
  qc_pkg_mgr
  case $PKG_MGR in
    dnf | yum)
      pcm_timeout 900 "$PKG_MGR" -q check-update >"$out" 2>"$err" || rc=$?
      case $rc in
        0 | 100)
          PENDING_STATE=ok
          qc_count_rpm_updates "$out"
          PENDING_COUNT=$REPLY
          ;;
        124) PENDING_MSG="$PKG_MGR check-update timed out" ;;
        *)
          pcm_last_line "$err"
          PENDING_MSG="$PKG_MGR check-update failed (exit $rc): $REPLY"
          ;;
      esac
      ;;
    apt-get)
      if ! pcm_timeout 600 apt-get -q update >"$out" 2>"$err"; then
        pcm_last_line "$err"
        PENDING_MSG="apt-get update failed: $REPLY"
        return 0
      fi
      if pcm_timeout 300 apt-get -s -q -o Debug::NoLocking=1 dist-upgrade >"$out" 2>"$err"; then
        PENDING_STATE=ok
        PENDING_COUNT=0
        while IFS= read -r line; do
          if [[ $line == 'Inst '* ]]; then PENDING_COUNT=$((PENDING_COUNT + 1)); fi
        done <"$out"
      else
        pcm_last_line "$err"
        PENDING_MSG="apt-get -s dist-upgrade failed: $REPLY"
      fi
      ;;
    *) PENDING_MSG="no package manager found (dnf, yum or apt-get)" ;;
  esac
}

# Package-manager lock: LOCK_HELD true|false, LOCK_METHOD, LOCK_HOLDERS. Uses fuser on the lock
# files when installed, yum's pid file, and a /proc scan for package-manager processes.
# unattended-upgrades is deliberately not matched by name: its idle shutdown helper has the same
# comm; when it really upgrades it holds the dpkg lock, which fuser sees.
# shellcheck disable=SC2034 # sets output globals for the caller; not every script reads all of them
qc_lock_check() {
  local f pid comm pids unique names='' files=() existing=()
  LOCK_HELD=false
  LOCK_METHOD=proc-scan
  LOCK_HOLDERS=()
  case $OS_FAMILY in
    rhel)
      names=' yum dnf dnf-automatic '
      files=(/var/lib/rpm/.rpm.lock)
      for f in /var/run/yum.pid /run/yum.pid; do
        [[ -r $ROOT$f ]] || continue
        pid=''
        read -r pid 2>/dev/null <"$ROOT$f" || true
        if [[ $pid =~ ^[0-9]+$ && -d $ROOT/proc/$pid ]]; then
          LOCK_HELD=true
          LOCK_HOLDERS+=("$f: pid $pid")
        fi
      done
      ;;
    debian)
      names=' apt apt-get aptitude dpkg '
      files=(/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock)
      ;;
  esac
  for f in "$ROOT"/proc/[0-9]*/comm; do
    [[ -r $f ]] || continue
    comm=''
    read -r comm 2>/dev/null <"$f" || true
    if [[ -n $comm && $names == *" $comm "* ]]; then
      pid=${f%/comm}
      LOCK_HELD=true
      LOCK_HOLDERS+=("$comm (pid ${pid##*/})")
    fi
  done
  if pcm_have fuser; then
    LOCK_METHOD=fuser+proc-scan
    existing=()
    for f in ${files[@]+"${files[@]}"}; do
      if [[ -e $ROOT$f ]]; then existing+=("$f"); fi
    done
    # fuser exits 0 when any process has one of the files open.
    if ((${#existing[@]} > 0)) && pids=$(fuser "${existing[@]}" 2>/dev/null); then
      # fuser lists a pid once per file it holds; report each pid once.
      unique=' '
      for pid in ${pids//[!0-9]/ }; do
        if [[ $unique != *" $pid "* ]]; then unique+="$pid "; fi
      done
      unique=${unique# }
      LOCK_HELD=true
      LOCK_HOLDERS+=("lock files in use by pid(s) ${unique% }")
    fi
  fi
}

# Unit names from `systemctl list-units <filters>`, sorted; returns 1 when systemctl cannot answer
# (no systemd). Older systemd prints a status bullet before failed units: skip a first field
# without a dot.
qc_units() {
  local out line u rest
  pcm_have systemctl || return 1
  out=$(systemctl list-units "$@" --no-legend --plain --no-pager 2>/dev/null) || return 1
  while IFS= read -r line; do
    line=${line#"${line%%[! ]*}"}
    u=${line%% *}
    if [[ $u != *.* ]]; then
      rest=${line#"$u"}
      rest=${rest#"${rest%%[! ]*}"}
      u=${rest%% *}
    fi
    if [[ -n $u ]]; then printf '%s\n' "$u"; fi
  done < <(printf '%s\n' "$out")
}

# Mounts as "TARGET SOURCE FSTYPE" lines (findmnt raw escaping), sorted.
qc_mounts_source() { if pcm_have findmnt; then REPLY=findmnt; elif [[ -r $ROOT/proc/mounts ]]; then REPLY=proc-mounts; else REPLY=none; fi; }
qc_mounts() {
  qc_mounts_source
  case $REPLY in
    findmnt) findmnt -rn -o TARGET,SOURCE,FSTYPE ;;
    proc-mounts) awk '{ gsub(/\\040/, "\\x20"); print $2, $1, $3 }' "$ROOT/proc/mounts" ;;
    *) return 1 ;;
  esac
}

# REPLY = boot time as epoch seconds ('' when unknown).
qc_boot_time() {
  local up=''
  REPLY=''
  if [[ -r $ROOT/proc/uptime ]]; then
    read -r up _ <"$ROOT/proc/uptime" || true
    up=${up%%.*}
    if [[ $up =~ ^[0-9]+$ ]]; then
      REPLY=$((PCM_NOW - up))
      return 0
    fi
  fi
  if pcm_have uptime; then REPLY=$(date -d "$(uptime -s 2>/dev/null)" +%s 2>/dev/null) || REPLY=''; fi
}

qc_iso() { printf -v REPLY '%(%Y-%m-%dT%H:%M:%SZ)T' "$1"; }

# DEFAULT_KERNEL (uname -r form, '' when unknown) and DEFAULT_ENTRY (what the boot loader says).
# RHEL: grubby. Debian: the GRUB saved_entry when grub.cfg boots it (GRUB_DEFAULT=saved), else the
# kernel of the first menu entry (GRUB_DEFAULT=0, the distribution default).
qc_default_kernel() {
  local cfg="$ROOT/boot/grub/grub.cfg" env="$ROOT/boot/grub/grubenv" saved='' id
  DEFAULT_KERNEL=''
  DEFAULT_ENTRY=''
  case $OS_FAMILY in
    rhel)
      pcm_have grubby || return 0
      DEFAULT_ENTRY=$(grubby --default-kernel 2>/dev/null) || DEFAULT_ENTRY=''
      if [[ $DEFAULT_ENTRY == /boot/vmlinuz-* ]]; then DEFAULT_KERNEL=${DEFAULT_ENTRY#/boot/vmlinuz-}; fi
      ;;
    debian)
      [[ -r $cfg ]] || return 0
      if [[ -r $env ]]; then saved=$(awk 'index($0, "saved_entry=") == 1 { v = substr($0, 13) } END { print v }' "$env"); fi
      if [[ -n $saved ]] && grep -qF "set default=\"\${saved_entry}\"" "$cfg"; then
        DEFAULT_ENTRY=$saved
        id=${saved##*>}
        id=${id#gnulinux-}
        id=${id%-advanced-*}
        if [[ $id =~ $KERNEL_RE ]]; then DEFAULT_KERNEL=$id; fi
      else
        DEFAULT_ENTRY='first menu entry'
        DEFAULT_KERNEL=$(awk '$1 == "linux" { sub(/^.*\/vmlinuz-/, "", $2); print $2; exit }' "$cfg")
      fi
      ;;
  esac
  if [[ -n $DEFAULT_KERNEL && ! $DEFAULT_KERNEL =~ $KERNEL_RE ]]; then DEFAULT_KERNEL=''; fi
}

# REPLY = value of a key in the prep.json this tool writes (one "key": value per line).
qc_prep_get() {
  local f="$QC_DIR/prep.json" line
  REPLY=''
  [[ -r $f ]] || return 0
  while IFS= read -r line; do
    if [[ $line == "  \"$1\": "* ]]; then
      line=${line#*\": }
      line=${line%,}
      if [[ $line == \"*\" ]]; then line=${line:1:${#line}-2}; fi
      REPLY=$line
      return 0
    fi
  done <"$f"
}

# REPLY = staged kernel recorded by kernel-staging ('' when none or malformed).
qc_staged_kernel() {
  REPLY=''
  if [[ -r $QC_DIR/staged-kernel ]]; then read -r REPLY <"$QC_DIR/staged-kernel" || true; fi
  if [[ ! $REPLY =~ $KERNEL_RE ]]; then REPLY=''; fi
}

# Writes $2 to $1 atomically: temp file + rename in the same (root-owned) directory.
qc_write_file() {
  local tmp="${1%/*}/.${1##*/}.tmp.$$"
  if printf '%s' "$2" 2>/dev/null >"$tmp" && mv -f -- "$tmp" "$1"; then return 0; fi
  rm -f -- "$tmp" || true
  return 1
}

# Prints the arguments sorted, one per line (nothing for none).
qc_sorted() { if (($# > 0)); then printf '%s\n' "$@" | sort; fi; }

# ---- pcm-qc-lib end ----

# Services whose absence after a reboot is normal (socket/D-Bus/timer activated or per-login).
IGNORED_SERVICES=(
  'user@*.service' 'user-runtime-dir@*.service' 'run-*.service' 'session-*.service'
  'systemd-hostnamed.service' 'systemd-timedated.service' 'systemd-localed.service' 'systemd-fsckd.service'
  'systemd-tmpfiles-clean.service' 'packagekit.service' 'fwupd.service' 'dnf-makecache.service'
  'apt-daily.service' 'apt-daily-upgrade.service' 'man-db.service' 'logrotate.service' 'motd-news.service'
  'sysstat-collect.service' 'sysstat-summary.service' 'fstrim.service' 'e2scrub_all.service'
  'e2scrub_reap.service' 'update-notifier-download.service' 'polkit.service' 'udisks2.service'
)

is_ignored() {
  local pattern
  for pattern in "${IGNORED_SERVICES[@]}"; do
    # shellcheck disable=SC2053 # the right-hand side is a glob pattern on purpose
    if [[ $1 == $pattern ]]; then return 0; fi
  done
  return 1
}

# Prints the non-empty lines of a snapshot list.
read_list() {
  local line
  while IFS= read -r line || [[ -n $line ]]; do
    if [[ -n $line ]]; then printf '%s\n' "$line"; fi
  done <"$1"
}

main() {
  local services failed u system_state
  local -A before=() now=() failed_before=() failed_now=()
  local -a missing=() ignored=() appeared=() newly_failed=() still_failed=() warnings=()

  pcm_start
  qc_init_change
  pcm_require_supported_os
  if [[ ! -f $QC_DIR/prep.json || ! -f $QC_DIR/services.txt ]]; then
    pcm_finish fail "no initial-qc snapshot for $PCM_CHANGE_NUMBER on this host: run /qc-prep initial-qc before patching"
  fi
  if ! pcm_have systemctl; then pcm_finish unsupported "systemd not available: services cannot be checked on this host"; fi
  qc_prep_get timestampIso
  pcm_d_str snapshotTakenAt "$REPLY"

  if ! services=$(qc_units --type=service --state=running); then pcm_finish fail "systemctl could not list running services"; fi
  if ! failed=$(qc_units --state=failed); then pcm_finish fail "systemctl could not list failed units"; fi
  while IFS= read -r u; do
    if [[ -n $u ]]; then now[$u]=1; fi
  done < <(printf '%s\n' "$services")
  while IFS= read -r u; do
    if [[ -n $u ]]; then failed_now[$u]=1; fi
  done < <(printf '%s\n' "$failed")
  while IFS= read -r u; do before[$u]=1; done < <(read_list "$QC_DIR/services.txt")
  if [[ -f $QC_DIR/failed-units.txt ]]; then
    while IFS= read -r u; do failed_before[$u]=1; done < <(read_list "$QC_DIR/failed-units.txt")
  else
    warnings+=("snapshot has no failed-units list: every failed unit counts as newly failed")
  fi

  # ${a[@]+...}: bash 4.2 (Amazon Linux 2, RHEL 7) treats an empty array as unset under set -u.
  for u in ${before[@]+"${!before[@]}"}; do
    if [[ -z ${now[$u]+x} ]]; then
      if is_ignored "$u"; then ignored+=("$u"); else missing+=("$u"); fi
    fi
  done
  for u in ${now[@]+"${!now[@]}"}; do
    if [[ -z ${before[$u]+x} ]]; then appeared+=("$u"); fi
  done
  for u in ${failed_now[@]+"${!failed_now[@]}"}; do
    if [[ -n ${failed_before[$u]+x} ]]; then still_failed+=("$u"); else newly_failed+=("$u"); fi
  done
  # Associative arrays have no order; sort for stable output.
  mapfile -t missing < <(qc_sorted ${missing[@]+"${missing[@]}"})
  mapfile -t ignored < <(qc_sorted ${ignored[@]+"${ignored[@]}"})
  mapfile -t appeared < <(qc_sorted ${appeared[@]+"${appeared[@]}"})
  mapfile -t newly_failed < <(qc_sorted ${newly_failed[@]+"${newly_failed[@]}"})
  mapfile -t still_failed < <(qc_sorted ${still_failed[@]+"${still_failed[@]}"})

  system_state=$(systemctl is-system-running 2>/dev/null) || true
  pcm_d_str systemState "$system_state"
  pcm_d_num servicesBefore "${#before[@]}"
  pcm_d_num servicesNow "${#now[@]}"
  pcm_d_num missingCount "${#missing[@]}"
  pcm_d_arr missingServices ${missing[@]+"${missing[@]}"}
  pcm_d_num newlyFailedCount "${#newly_failed[@]}"
  pcm_d_arr newlyFailedUnits ${newly_failed[@]+"${newly_failed[@]}"}
  pcm_d_arr stillFailedUnits ${still_failed[@]+"${still_failed[@]}"}
  pcm_d_arr newServices ${appeared[@]+"${appeared[@]}"}
  pcm_d_arr ignoredServices ${ignored[@]+"${ignored[@]}"}
  pcm_log "Services: ${#before[@]} running before, ${#now[@]} now; missing ${#missing[@]}, newly failed ${#newly_failed[@]}, still failed ${#still_failed[@]}, ignored ${#ignored[@]}"

  if ((${#still_failed[@]} > 0)); then
    pcm_join "${still_failed[@]}"
    warnings+=("failed before patching and still failed: $REPLY")
  fi
  pcm_d_arr warnings ${warnings[@]+"${warnings[@]}"}

  if ((${#missing[@]} > 0 || ${#newly_failed[@]} > 0)); then
    local parts=()
    if ((${#missing[@]} > 0)); then
      pcm_join "${missing[@]}"
      parts+=("${#missing[@]} service(s) no longer running: $REPLY")
    fi
    if ((${#newly_failed[@]} > 0)); then
      pcm_join "${newly_failed[@]}"
      parts+=("${#newly_failed[@]} newly failed unit(s): $REPLY")
    fi
    pcm_join "${parts[@]}"
    pcm_finish fail "$REPLY"
  fi
  if ((${#warnings[@]} > 0)); then
    pcm_finish warn "All ${#before[@]} services from the snapshot are running; ${#still_failed[@]} unit(s) still failed as before patching"
  fi
  pcm_finish ok "All ${#before[@]} services from the snapshot are running and no unit newly failed"
}

main "$@"
