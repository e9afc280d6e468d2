# Fake clock: real time plus the offset tests add with advanceClock(); explicit -d is passed through.
sim_val clock_offset
off=$REPLY
for a in "$@"; do
  case $a in -d | -d* | --date | --date=*) exec "$REAL_DATE" "$@" ;; esac
done
printf -v now '%(%s)T' -1
if [[ $# -eq 1 && $1 == +%s ]]; then echo "$((now + off))"; exit 0; fi
exec "$REAL_DATE" -d "@$((now + off))" "$@"
