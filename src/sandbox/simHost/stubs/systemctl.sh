args=() type='' state=''
for a in "$@"; do
  case $a in
    --type=*) type=${a#*=} ;;
    --state=*) state=${a#*=} ;;
    --failed) state=failed ;;
    -*) ;;
    *) args+=("$a") ;;
  esac
done
cmd=${args[0]:-list-units}
unit=${args[1]:-}
unit=${unit%.service}
sft_unit() { [[ $unit == sftd ]] && sim_has sft_installed; }
case $cmd in
  list-units)
    # Not sorted like the real thing: the scripts must not depend on order.
    if [[ $state == running ]]; then
      while read -r u; do
        [[ -n $u && $u != sftd.service ]] && printf '%s loaded active running %s daemon\n' "$u" "${u%.service}"
      done <"$S/services_running"
      if sim_has sft_installed && sim_has sft_active; then echo 'sftd.service loaded active running ScaleFT Server Agent'; fi
    elif [[ $state == failed ]]; then
      while read -r u; do
        [[ -n $u && $u != sftd.service ]] || continue
        if [[ -n $type && $u != *".$type" ]]; then continue; fi
        printf '\xe2\x97\x8f %s loaded failed failed %s\n' "$u" "${u%.*}"
      done <"$S/units_failed"
      if sim_has sft_installed && sim_has sft_failed; then printf '\xe2\x97\x8f sftd.service loaded failed failed ScaleFT Server Agent\n'; fi
    fi
    exit 0
    ;;
  is-active)
    if sft_unit; then
      if sim_has sft_active; then echo active; exit 0; fi
      if sim_has sft_failed; then echo failed; else echo inactive; fi
      exit 3
    fi
    if sim_line_in "$unit.service" services_running; then echo active; exit 0; fi
    echo inactive
    exit 3
    ;;
  is-enabled)
    if sft_unit; then
      if sim_has sft_enabled; then echo enabled; exit 0; fi
      echo disabled
      exit 1
    fi
    echo enabled
    ;;
  enable)
    if sft_unit; then : >"$S/sft_enabled"; echo "Created symlink /etc/systemd/system/multi-user.target.wants/sftd.service." >&2; fi
    ;;
  start | restart)
    if [[ $unit == sftd ]]; then
      if ! sim_has sft_installed; then echo "Failed to $cmd sftd.service: Unit sftd.service not found." >&2; exit 5; fi
      if ! sim_sft_start; then
        echo "Job for sftd.service failed because the control process exited with error code." >&2
        echo 'sftd: fatal: could not start (simulated)' >>"$S/journal_errors"
        exit 1
      fi
    fi
    ;;
  stop) if [[ $unit == sftd ]]; then rm -f "$S/sft_active"; fi ;;
  reset-failed) if [[ $unit == sftd ]]; then rm -f "$S/sft_failed"; fi ;;
  is-system-running) if [[ -s $S/units_failed ]]; then echo degraded; exit 1; fi; echo running ;;
  daemon-reload) ;;
  *) echo "systemctl: command not simulated: $cmd" >&2; exit 1 ;;
esac
exit 0
