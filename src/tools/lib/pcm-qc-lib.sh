# shellcheck shell=bash
# pcm-qc-lib: helpers shared by the qc-prep and qc-post scripts (snapshot dir, kernels, disk,
# pending updates, package locks, units, mounts, boot default). Inlined by the registry after
# lib/pcm-lib.sh, whose helpers and globals it uses.
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

