#!/usr/bin/env bash
# SC2317 ("unreachable") is disabled file-wide on purpose: the libraries included below hold
# helpers this script never calls, and the trap handlers are only invoked indirectly; shellcheck
# 0.9 reports both as unreachable in the expanded script.
# shellcheck disable=SC2317
# pcm-ops  qc-prep / initial-qc — pre-patching QC of one Linux host.
#
# Checks OS, running and installed kernels, uptime, free space on / and /boot, pending updates and
# the package-manager lock, then snapshots running services, failed units and mounts to
# /var/lib/pcm-ops/qc/<change>/ so /qc-post can compare after patching. Besides that snapshot it
# only refreshes package metadata (dnf/yum check-update, apt-get update).
#
# Inputs (environment only): PCM_CHANGE_NUMBER, PCM_RUN_ID, PCM_PARAM_MIN_ROOT_FREE_MB,
# PCM_PARAM_MIN_BOOT_FREE_MB. PCM_ROOT prefixes every file the script itself opens (tests only).
# Output: a few human lines, then exactly one last line `PCM_RESULT {json}`.
# Exit codes: 0 ok/warn (ready), 1 fail (not ready), 2 unsupported OS, 3 unexpected script error.
set -Eeuo pipefail

# pcm-include: lib/pcm-lib.sh

# pcm-include: lib/pcm-qc-lib.sh

main() {
  local min_root min_boot running now boot_time='' uptime_s='' services='' failed='' mounts='' mounts_src
  local root_free boot_free boot_mount svc_ok=true snap_ok=true ready status k
  local -a reasons=() warnings=() kernels=() failed_list=()

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
  local running_installed=false
  for k in ${kernels[@]+"${kernels[@]}"}; do
    if [[ $k == "$running" ]]; then running_installed=true; fi
  done
  pcm_d_bool runningKernelInstalled "$running_installed"
  if ((${#kernels[@]} == 0)); then
    warnings+=("could not list installed kernels")
  elif [[ $running_installed == false ]]; then
    warnings+=("running kernel $running is not among the installed kernel packages")
  fi
  pcm_log "OS: $OS_PRETTY ($OS_FAMILY family); running kernel $running; ${#kernels[@]} kernel(s) installed"

  now=$PCM_NOW
  qc_boot_time
  if [[ -n $REPLY ]]; then
    boot_time=$REPLY
    uptime_s=$((now - boot_time))
    qc_iso "$boot_time"
    pcm_d_str bootTime "$REPLY"
  else
    warnings+=("could not determine boot time")
  fi
  pcm_d_num uptimeSeconds "$uptime_s"

  qc_disk /
  root_free=$DISK_AVAIL_MB
  qc_disk /boot
  boot_free=$DISK_AVAIL_MB
  boot_mount=$DISK_MOUNT
  pcm_d_num rootFreeMb "$root_free"
  pcm_d_num bootFreeMb "$boot_free"
  pcm_d_str bootFilesystem "$boot_mount"
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
  pcm_log "Disk: / ${root_free:-?} MB free (min $min_root), /boot ${boot_free:-?} MB free on ${boot_mount:-?} (min $min_boot)"

  qc_lock_check
  pcm_d_bool lockHeld "$LOCK_HELD"
  pcm_d_str lockCheck "$LOCK_METHOD"
  pcm_d_arr lockHolders ${LOCK_HOLDERS[@]+"${LOCK_HOLDERS[@]}"}
  if [[ $LOCK_HELD == true ]]; then
    pcm_join ${LOCK_HOLDERS[@]+"${LOCK_HOLDERS[@]}"}
    reasons+=("package manager busy: $REPLY")
    qc_pkg_mgr
    PENDING_STATE=skipped
    PENDING_COUNT=''
  else
    qc_pending_updates
    if [[ $PENDING_STATE != ok ]]; then reasons+=("cannot query repositories: $PENDING_MSG"); fi
  fi
  pcm_d_str packageManager "$PKG_MGR"
  pcm_d_str pendingUpdatesState "$PENDING_STATE"
  pcm_d_num pendingUpdates "$PENDING_COUNT"
  pcm_log "Package manager: ${PKG_MGR:-none}; lock held: $LOCK_HELD; pending updates: ${PENDING_COUNT:-unknown} ($PENDING_STATE)"

  if ! services=$(qc_units --type=service --state=running); then
    svc_ok=false
    reasons+=("systemd not available: running services cannot be snapshotted")
  elif ! failed=$(qc_units --state=failed); then
    svc_ok=false
    reasons+=("systemctl could not list failed units")
  fi
  pcm_count_lines "$services"
  pcm_d_num runningServiceCount "$REPLY"
  if [[ -n $failed ]]; then mapfile -t failed_list < <(printf '%s\n' "$failed"); fi
  pcm_d_arr failedUnits ${failed_list[@]+"${failed_list[@]}"}
  if ((${#failed_list[@]} > 0)); then
    pcm_join ${failed_list[@]+"${failed_list[@]}"}
    warnings+=("${#failed_list[@]} unit(s) already failed before patching: $REPLY")
  fi

  qc_mounts_source
  mounts_src=$REPLY
  mounts=$(qc_mounts) || mounts=''
  pcm_count_lines "$mounts"
  pcm_d_num mountCount "$REPLY"
  pcm_d_str mountsSource "$mounts_src"
  if [[ -z $mounts ]]; then reasons+=("cannot list mounts (no findmnt or /proc/mounts)"); fi
  pcm_log "Services running: ${PCM_DETAILS[runningServiceCount]}; failed units: ${#failed_list[@]}; mounts: ${PCM_DETAILS[mountCount]} (via $mounts_src)"

  ready=true
  if ((${#reasons[@]} > 0)); then ready=false; fi

  # Snapshot for /qc-post. prep.json is written last: its presence marks a complete snapshot.
  if [[ $svc_ok == true && -n $mounts ]]; then
    if mkdir -p -- "$QC_DIR" 2>/dev/null; then
      if [[ -f $QC_DIR/prep.json ]]; then
        qc_prep_get timestampIso
        warnings+=("replaced the earlier snapshot of this change taken at ${REPLY:-unknown time} (kept in previous/)")
        mkdir -p -- "$QC_DIR/previous" || true
        for k in prep.json services.txt failed-units.txt mounts.txt; do
          if [[ -f $QC_DIR/$k ]]; then cp -p -- "$QC_DIR/$k" "$QC_DIR/previous/$k" || true; fi
        done
      fi
      qc_iso "$now"
      local iso=$REPLY prep='' j_kernels='' kv
      for k in ${kernels[@]+"${kernels[@]}"}; do
        pcm_json_str "$k"
        j_kernels+="${j_kernels:+, }$JSON_STR"
      done
      prep='{'$'\n''  "schema": 1,'$'\n'
      for kv in "changeNumber=$PCM_CHANGE_NUMBER" "runId=${PCM_RUN_ID:-}" "timestampIso=$iso" "hostname=$PCM_HOSTNAME" \
        "osId=$OS_ID" "osVersionId=$OS_VERSION_ID" "osFamily=$OS_FAMILY" "runningKernel=$running" "mountsSource=$mounts_src"; do
        pcm_json_str "${kv#*=}"
        prep+="  \"${kv%%=*}\": $JSON_STR,"$'\n'
      done
      prep+="  \"timestamp\": $now,"$'\n'"  \"bootTime\": ${boot_time:-null},"$'\n'
      prep+="  \"installedKernels\": [$j_kernels],"$'\n'"  \"ready\": $ready"$'\n''}'
      local nl=$'\n'
      qc_write_file "$QC_DIR/services.txt" "${services:+$services$nl}" || snap_ok=false
      qc_write_file "$QC_DIR/failed-units.txt" "${failed:+$failed$nl}" || snap_ok=false
      qc_write_file "$QC_DIR/mounts.txt" "$mounts$nl" || snap_ok=false
      if [[ $snap_ok == true ]]; then qc_write_file "$QC_DIR/prep.json" "$prep$nl" || snap_ok=false; fi
    else
      snap_ok=false
    fi
    if [[ $snap_ok == false ]]; then
      reasons+=("could not write the snapshot to ${QC_DIR#"$ROOT"} (disk full or read-only?)")
      ready=false
    fi
  else
    snap_ok=false
  fi
  pcm_d_bool snapshotWritten "$snap_ok"

  pcm_d_bool ready "$ready"
  pcm_d_arr reasons ${reasons[@]+"${reasons[@]}"}
  pcm_d_arr warnings ${warnings[@]+"${warnings[@]}"}
  if [[ $ready == true ]]; then
    status=ok
    if ((${#warnings[@]} > 0)); then status=warn; fi
    pcm_finish "$status" "Ready for patching: $OS_PRETTY, kernel $running, / ${root_free} MB, /boot ${boot_free} MB free, ${PENDING_COUNT} pending update(s); snapshot saved"
  fi
  pcm_join "${reasons[@]}"
  pcm_finish fail "Not ready: $REPLY"
}

main "$@"
