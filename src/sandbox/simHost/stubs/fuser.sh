held=0
for a in "$@"; do
  case $a in -*) continue ;; esac
  sim_val lock_pid
  if [[ -n $REPLY ]] && sim_line_in "$a" lock_files; then
    printf '%s:' "$a" >&2
    printf ' %s' "$REPLY"
    held=1
  fi
done
if ((held)); then echo; exit 0; fi
exit 1
