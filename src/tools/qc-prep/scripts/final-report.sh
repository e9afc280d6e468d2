#!/usr/bin/env bash
# SC2317 ("unreachable") is disabled file-wide on purpose: the libraries included below hold
# helpers this script never calls, and the trap handlers are only invoked indirectly; shellcheck
# 0.9 reports both as unreachable in the expanded script.
# shellcheck disable=SC2317
#
# pcm-ops  qc-prep / final-report — go/no-go for the patching window. Read-only (apart from the
# package metadata refresh that counting pending updates implies).
#
# GO needs: the initial-qc snapshot of this change, free space on / and /boot above the thresholds,
# no package-manager lock, working repositories, and — when a kernel was staged for this change —
# that kernel installed (image + initramfs) and the boot loader's default. No staged kernel is a
# warning, not a NO-GO: not every change patches the kernel.
#
# Inputs (environment only): PCM_CHANGE_NUMBER, PCM_PARAM_MIN_ROOT_FREE_MB, PCM_PARAM_MIN_BOOT_FREE_MB.
# Output: a few human lines, then exactly one last line `PCM_RESULT {json}`.
# Exit codes: 0 ok/warn (GO), 1 fail (NO-GO), 2 unsupported OS, 3 unexpected script error.
set -Eeuo pipefail

# pcm-include: lib/pcm-lib.sh
# pcm-include: lib/pcm-qc-lib.sh

main() {
  local min_root min_boot running staged default_kernel root_free boot_free go status k
  local prep_ts prep_ready snapshot=false staged_ok=''
  local -a reasons=() warnings=() kernels=()

  pcm_start
  qc_init_change
  pcm_require_supported_os
  pcm_param_int PCM_PARAM_MIN_ROOT_FREE_MB 2048 100 102400
  min_root=$REPLY
  pcm_param_int PCM_PARAM_MIN_BOOT_FREE_MB 200 50 10240
  min_boot=$REPLY

  running=$(uname -r)
  mapfile -t kernels < <(qc_installed_kernels)
  pcm_d_str runningKernel "$running"
  pcm_d_arr installedKernels ${kernels[@]+"${kernels[@]}"}

  # Snapshot from initial-qc.
  if [[ -f $QC_DIR/prep.json ]]; then
    snapshot=true
    qc_prep_get timestamp
    prep_ts=$REPLY
    qc_prep_get timestampIso
    pcm_d_str snapshotTakenAt "$REPLY"
    if [[ $prep_ts =~ ^[0-9]+$ ]]; then pcm_d_num snapshotAgeSeconds "$((PCM_NOW - prep_ts))"; fi
    qc_prep_get ready
    prep_ready=$REPLY
    if [[ $prep_ready != true ]]; then warnings+=("initial-qc reported this host not ready when the snapshot was taken"); fi
  else
    reasons+=("no initial-qc snapshot for this change (run /qc-prep initial-qc)")
  fi
  pcm_d_bool snapshotPresent "$snapshot"

  # Staged kernel vs boot loader default.
  qc_staged_kernel
  staged=$REPLY
  qc_default_kernel
  default_kernel=$DEFAULT_KERNEL
  pcm_d_str stagedKernel "$staged"
  pcm_d_str defaultKernel "$default_kernel"
  pcm_d_str defaultBootEntry "$DEFAULT_ENTRY"
  if [[ -n $staged ]]; then
    staged_ok=true
    local image="$ROOT/boot/vmlinuz-$staged" initrd="$ROOT/boot/initramfs-$staged.img"
    if [[ $OS_FAMILY == debian ]]; then initrd="$ROOT/boot/initrd.img-$staged"; fi
    if [[ ! -s $image || ! -s $initrd ]]; then
      staged_ok=false
      reasons+=("staged kernel $staged is not fully installed (image or initramfs missing)")
    fi
    if [[ $default_kernel != "$staged" ]]; then
      staged_ok=false
      reasons+=("default boot kernel is ${default_kernel:-unknown}, not the staged $staged")
    fi
    if [[ $running == "$staged" ]]; then pcm_d_bool stagedKernelRunning true; else pcm_d_bool stagedKernelRunning false; fi
  else
    warnings+=("no kernel staged for this change (run /qc-prep kernel-staging if the change patches the kernel)")
  fi
  pcm_d_tri stagedKernelReady "$staged_ok"
  pcm_log "Kernel: running $running, staged ${staged:-none}, default ${default_kernel:-unknown}"

  # Disk.
  qc_disk /
  root_free=$DISK_AVAIL_MB
  qc_disk /boot
  boot_free=$DISK_AVAIL_MB
  pcm_d_num rootFreeMb "$root_free"
  pcm_d_num bootFreeMb "$boot_free"
  pcm_d_num minRootFreeMb "$min_root"
  pcm_d_num minBootFreeMb "$min_boot"
  if [[ -z $root_free ]]; then
    reasons+=("cannot determine free space on /")
  elif ((root_free < min_root)); then
    reasons+=("/ has ${root_free} MB free (< ${min_root} MB)")
  fi
  if [[ -z $boot_free ]]; then
    reasons+=("cannot determine free space on /boot")
  elif ((boot_free < min_boot)); then
    reasons+=("/boot has ${boot_free} MB free (< ${min_boot} MB)")
  fi
  pcm_log "Disk: / ${root_free:-?} MB free (min $min_root), /boot ${boot_free:-?} MB free (min $min_boot)"

  # Package manager.
  qc_lock_check
  pcm_d_bool lockHeld "$LOCK_HELD"
  pcm_d_arr lockHolders ${LOCK_HOLDERS[@]+"${LOCK_HOLDERS[@]}"}
  if [[ $LOCK_HELD == true ]]; then
    pcm_join ${LOCK_HOLDERS[@]+"${LOCK_HOLDERS[@]}"}
    reasons+=("package manager busy: $REPLY")
    qc_pkg_mgr
    PENDING_STATE=skipped
  else
    qc_pending_updates
    if [[ $PENDING_STATE != ok ]]; then reasons+=("cannot query repositories: $PENDING_MSG"); fi
  fi
  pcm_d_str packageManager "$PKG_MGR"
  pcm_d_str pendingUpdatesState "$PENDING_STATE"
  pcm_d_num pendingUpdates "$PENDING_COUNT"
  pcm_log "Package manager: ${PKG_MGR:-none}; lock held: $LOCK_HELD; pending updates: ${PENDING_COUNT:-unknown}"

  go=true
  if ((${#reasons[@]} > 0)); then go=false; fi
  pcm_d_bool go "$go"
  pcm_d_arr reasons ${reasons[@]+"${reasons[@]}"}
  pcm_d_arr warnings ${warnings[@]+"${warnings[@]}"}
  if [[ $go == true ]]; then
    status=ok
    if ((${#warnings[@]} > 0)); then status=warn; fi
    k=${staged:+staged kernel $staged is default}
    pcm_finish "$status" "GO: $OS_PRETTY, ${k:-no kernel staged}, running $running, / ${root_free} MB, /boot ${boot_free} MB free, ${PENDING_COUNT} pending update(s)"
  fi
  pcm_join "${reasons[@]}"
  pcm_finish fail "NO-GO: $REPLY"
}

main "$@"
