#!/usr/bin/env bash
# SC2317 ("unreachable") is disabled file-wide on purpose: the libraries included below hold
# helpers this script never calls, and the trap handlers are only invoked indirectly; shellcheck
# 0.9 reports both as unreachable in the expanded script.
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

# pcm-include: lib/pcm-lib.sh

# pcm-include: lib/pcm-sft-lib.sh

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
