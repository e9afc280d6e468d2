#!/usr/bin/env bash
# SC2317 ("unreachable") is disabled file-wide on purpose: the libraries included below hold
# helpers this script never calls, and the trap handlers are only invoked indirectly; shellcheck
# 0.9 reports both as unreachable in the expanded script.
# shellcheck disable=SC2317
#
# pcm-ops  qc-post / reboot-verification — after the patch reboot, compare with the initial-qc
# snapshot of the same change. Read-only.
#
# fail: the host has not booted since the snapshot was taken (boot time from /proc/uptime, else
#       `uptime -s`); the running kernel is not the kernel staged for this change; a persistent
#       mount from the snapshot is missing or now has another filesystem type.
# warn: no kernel was staged for this change (kernel not verified); a mount's source device changed
#       (NVMe device names are not stable across reboots on EC2, the mount point and type are what
#       matter).
# Pseudo and runtime mounts (proc, tmpfs, cgroup, overlay, squashfs, /run/*, container storage) are
# not compared: they legitimately differ between boots.
#
# Inputs (environment only): PCM_CHANGE_NUMBER.
# Output: a few human lines, then exactly one last line `PCM_RESULT {json}`.
# Exit codes: 0 ok/warn, 1 fail, 2 unsupported OS, 3 unexpected script error.
set -Eeuo pipefail

# pcm-include: lib/pcm-lib.sh
# pcm-include: lib/pcm-qc-lib.sh

PSEUDO_FS=' proc sysfs devtmpfs devpts tmpfs cgroup cgroup2 securityfs pstore bpf debugfs tracefs configfs fusectl mqueue hugetlbfs autofs binfmt_misc rpc_pipefs nsfs overlay squashfs efivarfs selinuxfs ramfs nfsd fuse.lxcfs fuse.gvfsd-fuse fuse.portal fuse.snapfuse '

# Succeeds for mounts worth comparing across a reboot: "$1" target, "$2" fstype.
persistent_mount() {
  if [[ $PSEUDO_FS == *" $2 "* ]]; then return 1; fi
  case $1 in
    /proc | /proc/* | /sys | /sys/* | /dev | /dev/* | /run | /run/* | /var/lib/docker/* | /var/lib/containers/* | /var/lib/kubelet/* | /snap/*) return 1 ;;
  esac
  return 0
}

main() {
  local prep_ts prep_boot boot_time boot_iso running staged prep_kernel rebooted=unknown mounts target source fstype
  local -A before_src=() before_fs=() now_src=() now_fs=()
  local -a reasons=() warnings=() missing=() changed_fs=() changed_src=()

  pcm_start
  qc_init_change
  pcm_require_supported_os
  if [[ ! -f $QC_DIR/prep.json ]]; then
    pcm_finish fail "no initial-qc snapshot for $PCM_CHANGE_NUMBER on this host: nothing to verify the reboot against"
  fi
  qc_prep_get timestamp
  prep_ts=$REPLY
  qc_prep_get bootTime
  prep_boot=$REPLY
  qc_prep_get runningKernel
  prep_kernel=$REPLY
  if [[ ! $prep_ts =~ ^[0-9]+$ ]]; then pcm_finish fail "snapshot ${QC_DIR#"$ROOT"}/prep.json has no valid timestamp"; fi
  qc_iso "$prep_ts"
  pcm_d_str snapshotTakenAt "$REPLY"

  # Reboot: the current boot must be later than the snapshot.
  qc_boot_time
  boot_time=$REPLY
  if [[ -z $boot_time ]]; then
    reasons+=("cannot determine the boot time")
  else
    qc_iso "$boot_time"
    boot_iso=$REPLY
    pcm_d_str bootTime "$boot_iso"
    pcm_d_num uptimeSeconds "$((PCM_NOW - boot_time))"
    if ((boot_time > prep_ts)); then rebooted=true; else
      rebooted=false
      reasons+=("not rebooted since the snapshot (booted $boot_iso)")
    fi
  fi
  if [[ $prep_boot =~ ^[0-9]+$ ]]; then
    qc_iso "$prep_boot"
    pcm_d_str previousBootTime "$REPLY"
  fi
  pcm_d_tri rebooted "$rebooted"

  # Kernel.
  running=$(uname -r)
  qc_staged_kernel
  staged=$REPLY
  pcm_d_str runningKernel "$running"
  pcm_d_str stagedKernel "$staged"
  pcm_d_str kernelBefore "$prep_kernel"
  if [[ -n $staged ]]; then
    if [[ $running == "$staged" ]]; then pcm_d_bool kernelMatches true; else
      pcm_d_bool kernelMatches false
      reasons+=("running kernel $running is not the staged kernel $staged")
    fi
  else
    pcm_d_tri kernelMatches ''
    warnings+=("no kernel staged for this change: running kernel not verified")
  fi
  pcm_log "Boot: rebooted=$rebooted; kernel running $running, staged ${staged:-none}, before ${prep_kernel:-?}"

  # Mounts: compare mount points and filesystem types of persistent mounts.
  if [[ ! -f $QC_DIR/mounts.txt ]]; then
    reasons+=("snapshot has no mounts list")
  elif ! mounts=$(qc_mounts); then
    reasons+=("cannot list mounts (no findmnt or /proc/mounts)")
  else
    while read -r target source fstype _; do
      if [[ -n $target ]] && persistent_mount "$target" "$fstype"; then
        before_src[$target]=$source
        before_fs[$target]=$fstype
      fi
    done <"$QC_DIR/mounts.txt"
    while read -r target source fstype _; do
      if [[ -n $target ]] && persistent_mount "$target" "$fstype"; then
        now_src[$target]=$source
        now_fs[$target]=$fstype
      fi
    done < <(printf '%s\n' "$mounts")
    for target in ${before_fs[@]+"${!before_fs[@]}"}; do
      if [[ -z ${now_fs[$target]+x} ]]; then
        missing+=("$target")
      elif [[ ${now_fs[$target]} != "${before_fs[$target]}" ]]; then
        changed_fs+=("$target (${before_fs[$target]} -> ${now_fs[$target]})")
      elif [[ ${now_src[$target]} != "${before_src[$target]}" ]]; then
        changed_src+=("$target (${before_src[$target]} -> ${now_src[$target]})")
      fi
    done
    mapfile -t missing < <(qc_sorted ${missing[@]+"${missing[@]}"})
    mapfile -t changed_fs < <(qc_sorted ${changed_fs[@]+"${changed_fs[@]}"})
    mapfile -t changed_src < <(qc_sorted ${changed_src[@]+"${changed_src[@]}"})
    if ((${#missing[@]} > 0)); then
      pcm_join "${missing[@]}"
      reasons+=("${#missing[@]} mount(s) missing: $REPLY")
    fi
    if ((${#changed_fs[@]} > 0)); then
      pcm_join "${changed_fs[@]}"
      reasons+=("filesystem type changed: $REPLY")
    fi
    if ((${#changed_src[@]} > 0)); then
      pcm_join "${changed_src[@]}"
      warnings+=("mount source changed: $REPLY")
    fi
  fi
  pcm_d_num mountsCompared "${#before_fs[@]}"
  pcm_d_arr missingMounts ${missing[@]+"${missing[@]}"}
  pcm_d_arr changedMounts ${changed_fs[@]+"${changed_fs[@]}"} ${changed_src[@]+"${changed_src[@]}"}
  pcm_log "Mounts: ${#before_fs[@]} persistent in snapshot; missing ${#missing[@]}, type changed ${#changed_fs[@]}, source changed ${#changed_src[@]}"

  pcm_d_arr reasons ${reasons[@]+"${reasons[@]}"}
  pcm_d_arr warnings ${warnings[@]+"${warnings[@]}"}
  if ((${#reasons[@]} > 0)); then
    pcm_join "${reasons[@]}"
    pcm_finish fail "Reboot verification failed: $REPLY"
  fi
  if ((${#warnings[@]} > 0)); then
    pcm_join "${warnings[@]}"
    pcm_finish warn "Rebooted into $running, ${#before_fs[@]} mounts present; $REPLY"
  fi
  pcm_finish ok "Rebooted into the staged kernel $running; all ${#before_fs[@]} persistent mounts present"
}

main "$@"
