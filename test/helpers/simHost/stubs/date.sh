# Fake clock: real time plus the offset tests add with advanceClock(); explicit -d is passed through.
off=$(cat "$S/clock_offset")
for a in "$@"; do
  case $a in -d | -d* | --date | --date=*) exec "$REAL_DATE" "$@" ;; esac
done
exec "$REAL_DATE" -d "@$(($("$REAL_DATE" +%s) + off))" "$@"
