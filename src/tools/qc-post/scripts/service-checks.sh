#!/usr/bin/env bash
# SC2317 ("unreachable") is disabled file-wide on purpose: the libraries included below hold
# helpers this script never calls, and the trap handlers are only invoked indirectly; shellcheck
# 0.9 reports both as unreachable in the expanded script.
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

# pcm-include: lib/pcm-lib.sh
# pcm-include: lib/pcm-qc-lib.sh

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
