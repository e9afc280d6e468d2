#!/usr/bin/env bash
# SC2317 ("unreachable") is disabled file-wide on purpose: the libraries included below hold
# helpers this script never calls, and the trap handlers are only invoked indirectly; shellcheck
# 0.9 reports both as unreachable in the expanded script.
# shellcheck disable=SC2317
#
# pcm-ops  sft-fix / detection — health of the ScaleFT server agent (sftd). Read-only.
#
# Reports: installed (sftd on PATH or package scaleft-server-tools), version (`sftd --version`),
# service state (`systemctl is-active/is-enabled sftd`), enrollment (/var/lib/sftd/device.token
# present — only its existence is checked, it is never read), errors logged in the last hour
# (`journalctl -u sftd -p err`, count and the last lines with long token-like strings masked).
# fail: not installed, not running, or not enrolled. warn: healthy but errors in the last hour or
# not enabled at boot.
#
# Inputs (environment only): none besides the PCM_* run context.
# Output: a few human lines, then exactly one last line `PCM_RESULT {json}`.
# Exit codes: 0 ok/warn, 1 fail, 2 unsupported OS or no systemd, 3 unexpected script error.
set -Eeuo pipefail

# pcm-include: lib/pcm-lib.sh

# pcm-include: lib/pcm-sft-lib.sh

main() {
  local -a problems=() warnings=()

  pcm_start
  pcm_require_supported_os
  sft_detect_installed
  pcm_d_bool installed "$SFT_INSTALLED"
  pcm_d_str package "$SFT_PACKAGE"
  if [[ $SFT_INSTALLED != true ]]; then
    pcm_d_bool healthy false
    pcm_d_str recommendation "install the ScaleFT server tools (package scaleft-server-tools)"
    pcm_finish fail "ScaleFT agent (sftd) is not installed"
  fi
  if ! pcm_have systemctl; then pcm_finish unsupported "systemd not available: sftd service state cannot be checked"; fi

  sft_state
  sft_version
  sft_journal_errors '-1h'
  pcm_d_str version "$SFT_VERSION"
  sft_d_state
  if [[ -e $SFT_DIR/enrollment.token ]]; then pcm_d_bool enrollmentTokenPresent true; else pcm_d_bool enrollmentTokenPresent false; fi
  pcm_d_num recentErrorCount "$SFT_ERRORS"
  pcm_d_arr recentErrors ${SFT_ERROR_TAIL[@]+"${SFT_ERROR_TAIL[@]}"}
  pcm_log "sftd ${SFT_VERSION:-version unknown}: $SFT_ACTIVE, $SFT_ENABLED, enrolled=$SFT_ENROLLED, errors in the last hour: ${SFT_ERRORS:-unknown}"

  if [[ $SFT_ACTIVE != active ]]; then problems+=("sftd is $SFT_ACTIVE"); fi
  if [[ $SFT_ENROLLED != true ]]; then problems+=("not enrolled (no device token)"); fi
  case $SFT_ENABLED in
    enabled | enabled-runtime | static | indirect | alias | generated) ;;
    *) warnings+=("sftd is $SFT_ENABLED at boot") ;;
  esac
  if [[ -n $SFT_ERRORS && $SFT_ERRORS != 0 ]]; then warnings+=("$SFT_ERRORS error(s) logged in the last hour"); fi

  if [[ $SFT_ENROLLED != true ]]; then
    pcm_d_str recommendation "run /sft-fix enrollment"
  elif [[ $SFT_ACTIVE != active || ${#warnings[@]} -gt 0 ]]; then
    pcm_d_str recommendation "run /sft-fix repair"
  else
    pcm_d_str recommendation ""
  fi
  pcm_d_arr problems ${problems[@]+"${problems[@]}"}
  pcm_d_arr warnings ${warnings[@]+"${warnings[@]}"}
  if ((${#problems[@]} > 0)); then
    pcm_d_bool healthy false
    pcm_join "${problems[@]}"
    pcm_finish fail "sftd unhealthy: $REPLY"
  fi
  pcm_d_bool healthy true
  if ((${#warnings[@]} > 0)); then
    pcm_join "${warnings[@]}"
    pcm_finish warn "sftd is running and enrolled; $REPLY"
  fi
  pcm_finish ok "sftd ${SFT_VERSION#sftd version } is running and enrolled, no errors in the last hour"
}

main "$@"
