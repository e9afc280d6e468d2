held=0
for a in "$@"; do
  case $a in -*) continue ;; esac
  if [[ -s $S/lock_pid ]] && sim_line_in "$a" lock_files; then
    printf '%s:' "$a" >&2
    printf ' %s' "$(cat "$S/lock_pid")"
    held=1
  fi
done
if ((held)); then echo; exit 0; fi
exit 1
