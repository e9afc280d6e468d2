# Only `journalctl -u sftd ... -p err` is simulated: returns the profile's sftd error lines.
unit=''
prev=''
for a in "$@"; do
  if [[ $prev == -u ]]; then unit=$a; fi
  case $a in --unit=*) unit=${a#*=} ;; esac
  prev=$a
done
if [[ ${unit%.service} == sftd ]]; then sim_cat journal_errors; fi
exit 0
