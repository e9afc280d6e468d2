#!/usr/bin/env bash
# SC2317 ("unreachable") is disabled file-wide on purpose: the libraries included below hold
# helpers this script never calls, and the trap handlers are only invoked indirectly; shellcheck
# 0.9 reports both as unreachable in the expanded script.
# shellcheck disable=SC2317
#
# pcm-ops  qc-prep / kernel-staging — install a kernel and make it the next boot's default, without
# rebooting.
#
# RHEL family: `dnf|yum -y install kernel-<ver>` (kernel-uek-<ver> for Oracle UEK releases), then
#   `grubby --set-default /boot/vmlinuz-<ver>` and verification with `grubby --default-kernel`.
#   A target without the `.<arch>` suffix gets the host's `uname -m`.
# Debian family: `apt-get install linux-image-<ver>`, then GRUB's saved-default mechanism: a drop-in
#   /etc/default/grub.d/99-pcm-ops-saved-default.cfg with GRUB_DEFAULT=saved, `update-grub`, and
#   `grub-set-default '<submenu id>><entry id>'` with the ids read from grub.cfg; verified through
#   saved_entry in /boot/grub/grubenv. Ids (not titles or indexes) stay valid when kernels are added.
# Either way the kernel image and its initramfs must exist and be non-empty before the default is
# touched: a kernel without an initramfs would not boot. The staged kernel is recorded in
# /var/lib/pcm-ops/qc/<change>/staged-kernel; package-manager output goes to kernel-staging.log there.
# Idempotent: an installed kernel is not reinstalled and an unchanged default is not rewritten.
# Exact names only: apt-get/apt-cache read a name that matches no package as a regular expression
# (or glob), and a trailing -/+ as remove/install; dnf/yum read * ? [ as globs. So the target must
# match TARGET_RE (no such character but `.`), and nothing is installed until the repositories list
# exactly the package `kernel-<ver>` / `linux-image-<ver>`.
#
# Inputs (environment only): PCM_CHANGE_NUMBER, PCM_RUN_ID, PCM_PARAM_TARGET_KERNEL.
# Output: a few human lines, then exactly one last line `PCM_RESULT {json}`.
# Exit codes: 0 ok/warn, 1 fail, 2 unsupported OS, 3 unexpected script error.
set -Eeuo pipefail

# pcm-include: lib/pcm-lib.sh
# pcm-include: lib/pcm-qc-lib.sh

# The same pattern as KERNEL_RELEASE in definition.ts (submit refuses the rest): kept here as well,
# since this script must not rely on its caller.
TARGET_RE='^[0-9]+\.[0-9]+\.[0-9]+-[0-9A-Za-z._~-]*[0-9A-Za-z]$'
STAGE_LOG=''
KVER=''
PKG=''
INSTALL_ACTION=already-installed
CHANGED=false
DEFAULT_BEFORE=''
BOOT_ENTRY=''

# Runs a command with its output appended to the staging log (keeps stdout short: SSM returns only
# the first 24,000 characters and the result line must survive).
stage_run() {
  printf '+ %s\n' "$*" >>"$STAGE_LOG"
  "$@" </dev/null >>"$STAGE_LOG" 2>&1
}
stage_fail() {
  if [[ -r $STAGE_LOG ]]; then
    printf '%s\n' "--- last lines of ${STAGE_LOG#"$ROOT"} ---" >&2
    tail -n 25 -- "$STAGE_LOG" >&2 || true
  fi
  pcm_d_str installAction "$INSTALL_ACTION"
  pcm_d_bool changed "$CHANGED"
  pcm_finish fail "$1"
}
stage_check_boot_files() {
  if [[ ! -s $ROOT/boot/vmlinuz-$KVER ]]; then stage_fail "kernel image /boot/vmlinuz-$KVER is missing after installing $PKG"; fi
  if [[ ! -s $1 ]]; then stage_fail "initramfs ${1#"$ROOT"} is missing or empty: not making $KVER the default (it would not boot)"; fi
}

# Refuses (before anything is installed) unless dnf/yum list exactly $PKG = <base>-<version>-<release>.<arch>.
# `list` output is "name.arch  [epoch:]version-release  repo", a long name wrapped onto a line of its own.
stage_require_exact_rpm() {
  local base=$1 arch=$2 vr=${KVER%."$2"} i
  local -a words tok=()
  printf '+ %s\n' "$PKG_MGR -q list --showduplicates available $PKG" >>"$STAGE_LOG"
  while read -ra words; do
    printf '%s\n' "${words[*]-}" >>"$STAGE_LOG"
    tok+=(${words[@]+"${words[@]}"})
  done < <("$PKG_MGR" -q list --showduplicates available "$PKG" </dev/null 2>>"$STAGE_LOG")
  for ((i = 0; i + 1 < ${#tok[@]}; i++)); do
    if [[ ${tok[i]} == "$base.$arch" && ${tok[i + 1]#0:} == "$vr" ]]; then return 0; fi
  done
  stage_fail "no package named exactly $PKG in the enabled repositories ($PKG_MGR list); nothing installed"
}

stage_rhel() {
  local arch base rc=0
  arch=$(uname -m)
  KVER=$1
  if [[ $KVER != *."$arch" ]]; then KVER="$KVER.$arch"; fi
  base=kernel
  if [[ $KVER == *uek* ]]; then base=kernel-uek; fi
  PKG="$base-$KVER"
  qc_pkg_mgr
  if [[ -z $PKG_MGR ]]; then pcm_finish fail "neither dnf nor yum found"; fi
  if ! pcm_have rpm; then pcm_finish fail "rpm not found"; fi
  # Checked before installing: a kernel we cannot make the default must not be half-staged.
  if ! pcm_have grubby; then pcm_finish fail "grubby not found: cannot set the default boot entry on this host"; fi
  qc_default_kernel
  DEFAULT_BEFORE=$DEFAULT_KERNEL

  if rpm -q "$PKG" >/dev/null 2>&1 || rpm -q "$base-core-$KVER" >/dev/null 2>&1; then
    pcm_log "$PKG is already installed"
  else
    stage_require_exact_rpm "$base" "$arch"
    pcm_log "Installing $PKG with $PKG_MGR (output in ${STAGE_LOG#"$ROOT"})"
    stage_run "$PKG_MGR" -y install "$PKG" || rc=$?
    if ((rc != 0)); then stage_fail "$PKG_MGR -y install $PKG failed (exit $rc)"; fi
    if ! rpm -q "$PKG" >/dev/null 2>&1 && ! rpm -q "$base-core-$KVER" >/dev/null 2>&1; then
      stage_fail "$PKG is not installed after $PKG_MGR install"
    fi
    INSTALL_ACTION=installed
    CHANGED=true
  fi
  stage_check_boot_files "$ROOT/boot/initramfs-$KVER.img"

  if [[ $DEFAULT_KERNEL != "$KVER" ]]; then
    pcm_log "Setting default boot kernel: /boot/vmlinuz-$KVER (was ${DEFAULT_BEFORE:-unknown})"
    stage_run grubby --set-default "/boot/vmlinuz-$KVER" || rc=$?
    if ((rc != 0)); then stage_fail "grubby --set-default /boot/vmlinuz-$KVER failed (exit $rc)"; fi
    CHANGED=true
  fi
  qc_default_kernel
  BOOT_ENTRY=$DEFAULT_ENTRY
  if [[ $DEFAULT_KERNEL != "$KVER" ]]; then
    stage_fail "grubby --default-kernel reports ${DEFAULT_ENTRY:-nothing}, expected /boot/vmlinuz-$KVER"
  fi
}

# REPLY = GRUB menu entry id path of kernel $1 ("<submenu id>><entry id>", or "<entry id>" when
# GRUB_DISABLE_SUBMENU=y), '' when grub.cfg has no such entry. Recovery entries are skipped.
stage_grub_entry() {
  local line sub='' id re="\\\$menuentry_id_option '([^']*)'"
  REPLY=''
  [[ -r $ROOT/boot/grub/grub.cfg ]] || return 0
  while IFS= read -r line; do
    if [[ $line == submenu* ]]; then
      sub=''
      if [[ $line =~ $re ]]; then sub=${BASH_REMATCH[1]}; fi
    elif [[ $line == '}'* ]]; then
      sub=''
    elif [[ $line =~ ^[[:space:]]*menuentry && $line =~ $re ]]; then
      id=${BASH_REMATCH[1]}
      if [[ $id == "gnulinux-$1-advanced-"* ]]; then
        if [[ -n $sub ]]; then REPLY="$sub>$id"; else REPLY=$id; fi
        return 0
      fi
    fi
  done <"$ROOT/boot/grub/grub.cfg"
}

# Refuses (before anything is installed) unless apt-cache shows exactly one package, named $PKG, and it
# is a kernel image (Section: kernel; linux-image-<ver>-dbg exists too and is debug symbols). For a name
# it does not know, apt-cache (like apt-get) shows whatever the name matches as a regex or glob.
stage_require_exact_deb() {
  local line name='' section='' other='' found=false
  printf '+ %s\n' "apt-cache show --no-all-versions $PKG" >>"$STAGE_LOG"
  while IFS= read -r line; do
    case $line in
      'Package: '*)
        name=${line#Package: }
        printf '%s\n' "$line" >>"$STAGE_LOG"
        if [[ $name == "$PKG" ]]; then found=true; elif [[ -z $other ]]; then other=$name; fi
        ;;
      'Section: '*) if [[ $name == "$PKG" ]]; then section=${line#Section: }; fi ;;
    esac
  done < <(apt-cache show --no-all-versions "$PKG" </dev/null 2>>"$STAGE_LOG")
  if [[ -n $other ]]; then
    stage_fail "no package named exactly $PKG in the apt sources (apt would select others by pattern, e.g. ${other:0:60}); nothing installed"
  fi
  if [[ $found != true ]]; then stage_fail "no package named exactly $PKG in the apt sources; nothing installed"; fi
  if [[ $section != kernel && $section != */kernel ]]; then
    stage_fail "$PKG is not a kernel image (Section: ${section:0:30}); nothing installed"
  fi
}

stage_debian() {
  local rc=0 regen=false dropin="$ROOT/etc/default/grub.d/99-pcm-ops-saved-default.cfg" current='' content cfg="$ROOT/boot/grub/grub.cfg"
  local saved_default="set default=\"\${saved_entry}\""
  KVER=$1
  PKG="linux-image-$KVER"
  qc_pkg_mgr
  if [[ -z $PKG_MGR ]] || ! pcm_have dpkg-query || ! pcm_have apt-cache; then pcm_finish fail "apt-get/apt-cache/dpkg-query not found"; fi
  if ! pcm_have update-grub || ! pcm_have grub-set-default; then
    pcm_finish fail "update-grub/grub-set-default not found: only GRUB 2 hosts can have a default kernel staged"
  fi
  # Kernel maintainer scripts must not restart services while we only stage (Ubuntu's needrestart).
  export NEEDRESTART_SUSPEND=1 NEEDRESTART_MODE=l
  qc_default_kernel
  DEFAULT_BEFORE=$DEFAULT_KERNEL

  if [[ $(dpkg-query -W -f="\${Status}" "$PKG" 2>/dev/null) == *" installed" ]]; then
    pcm_log "$PKG is already installed"
  else
    pcm_log "Installing $PKG with apt-get (output in ${STAGE_LOG#"$ROOT"})"
    stage_run apt-get -q update || rc=$?
    if ((rc != 0)); then stage_fail "apt-get update failed (exit $rc)"; fi
    stage_require_exact_deb
    stage_run apt-get -y -q -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install "$PKG" || rc=$?
    if ((rc != 0)); then stage_fail "apt-get install $PKG failed (exit $rc)"; fi
    if [[ $(dpkg-query -W -f="\${Status}" "$PKG" 2>/dev/null) != *" installed" ]]; then stage_fail "$PKG is not installed after apt-get install"; fi
    INSTALL_ACTION=installed
    CHANGED=true
    regen=true
  fi
  stage_check_boot_files "$ROOT/boot/initrd.img-$KVER"

  # A drop-in rather than editing /etc/default/grub: distro-owned file stays untouched, and removing
  # the drop-in restores the distribution default (newest kernel first).
  content=$'# Managed by pcm-ops (qc-prep kernel-staging): boot the entry selected with grub-set-default.\nGRUB_DEFAULT=saved\n'
  if [[ -r $dropin ]]; then current=$(<"$dropin"); fi
  if [[ "$current"$'\n' != "$content" ]]; then
    mkdir -p -- "${dropin%/*}" || stage_fail "cannot create /etc/default/grub.d"
    qc_write_file "$dropin" "$content" || stage_fail "cannot write ${dropin#"$ROOT"}"
    pcm_log "Wrote ${dropin#"$ROOT"} (GRUB_DEFAULT=saved)"
    regen=true
    CHANGED=true
  fi
  stage_grub_entry "$KVER"
  if [[ -z $REPLY ]] || ! grep -qF "$saved_default" "$cfg" 2>/dev/null; then regen=true; fi
  if [[ $regen == true ]]; then
    pcm_log "Regenerating grub.cfg (update-grub)"
    stage_run update-grub || rc=$?
    if ((rc != 0)); then stage_fail "update-grub failed (exit $rc)"; fi
    CHANGED=true
  fi
  if ! grep -qF "$saved_default" "$cfg" 2>/dev/null; then
    stage_fail "grub.cfg does not boot the saved entry after update-grub (GRUB_DEFAULT overridden elsewhere?)"
  fi
  stage_grub_entry "$KVER"
  BOOT_ENTRY=$REPLY
  if [[ -z $BOOT_ENTRY ]]; then stage_fail "grub.cfg has no menu entry for kernel $KVER"; fi

  qc_default_kernel
  if [[ $DEFAULT_ENTRY != "$BOOT_ENTRY" ]]; then
    pcm_log "grub-set-default '$BOOT_ENTRY'"
    stage_run grub-set-default "$BOOT_ENTRY" || rc=$?
    if ((rc != 0)); then stage_fail "grub-set-default failed (exit $rc)"; fi
    CHANGED=true
  fi
  qc_default_kernel
  if [[ $DEFAULT_ENTRY != "$BOOT_ENTRY" || $DEFAULT_KERNEL != "$KVER" ]]; then
    stage_fail "GRUB saved_entry is '${DEFAULT_ENTRY:-none}', expected '$BOOT_ENTRY'"
  fi
}

main() {
  local target running iso previous='' summary status
  local -a warnings=()

  pcm_start
  qc_init_change
  pcm_require_supported_os
  target=${PCM_PARAM_TARGET_KERNEL:-}
  pcm_d_str targetKernel "${target:0:100}"
  if ((${#target} > 100)) || [[ ! $target =~ $TARGET_RE ]]; then
    pcm_finish fail "parameter targetKernel is missing or not a kernel release like 5.14.0-427.13.1.el9_4.x86_64 or 5.15.0-97-generic (letters, digits, . _ ~ - only)"
  fi
  running=$(uname -r)
  pcm_d_str runningKernel "$running"
  if [[ ! -f $QC_DIR/prep.json ]]; then warnings+=("no initial-qc snapshot for this change on this host"); fi

  mkdir -p -- "$QC_DIR" 2>/dev/null || pcm_finish fail "cannot create ${QC_DIR#"$ROOT"} (disk full or read-only?)"
  STAGE_LOG="$QC_DIR/kernel-staging.log"
  qc_iso "$PCM_NOW"
  iso=$REPLY
  if ! printf '=== %s kernel-staging run %s, target %s\n' "$iso" "${PCM_RUN_ID:-}" "$target" 2>/dev/null >>"$STAGE_LOG"; then
    pcm_finish fail "cannot write ${STAGE_LOG#"$ROOT"} (disk full or read-only?)"
  fi
  pcm_d_str logFile "${STAGE_LOG#"$ROOT"}"

  case $OS_FAMILY in
    rhel) stage_rhel "$target" ;;
    debian) stage_debian "$target" ;;
  esac

  qc_staged_kernel
  previous=$REPLY
  if [[ $previous != "$KVER" ]]; then
    if ! qc_write_file "$QC_DIR/staged-kernel" "$KVER"$'\n'; then stage_fail "kernel staged but ${QC_DIR#"$ROOT"}/staged-kernel could not be written"; fi
    if [[ -n $previous ]]; then warnings+=("replaced the previously staged kernel $previous"); fi
    CHANGED=true
  fi

  pcm_d_str kernel "$KVER"
  pcm_d_str package "$PKG"
  pcm_d_str packageManager "$PKG_MGR"
  pcm_d_str installAction "$INSTALL_ACTION"
  pcm_d_str defaultKernelBefore "$DEFAULT_BEFORE"
  pcm_d_str defaultKernelAfter "$DEFAULT_KERNEL"
  pcm_d_str bootEntry "$BOOT_ENTRY"
  pcm_d_bool changed "$CHANGED"
  if [[ $running == "$KVER" ]]; then pcm_d_bool rebootRequired false; else pcm_d_bool rebootRequired true; fi
  pcm_d_str stagedKernelFile "${QC_DIR#"$ROOT"}/staged-kernel"
  pcm_d_arr warnings ${warnings[@]+"${warnings[@]}"}

  if [[ $CHANGED == true ]]; then
    summary="Kernel $KVER staged ($INSTALL_ACTION) and set as default boot entry"
  else
    summary="Kernel $KVER already installed and default; nothing changed"
  fi
  if [[ $running == "$KVER" ]]; then summary+="; it is already running"; else summary+="; reboot to activate (running $running)"; fi
  status=ok
  if ((${#warnings[@]} > 0)); then status=warn; fi
  pcm_finish "$status" "$summary"
}

main "$@"
