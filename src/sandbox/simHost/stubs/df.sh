# state/disks: "mount source size_kb avail_kb"; a path maps to its longest mount prefix.
paths=()
for a in "$@"; do case $a in -*) ;; *) paths+=("$a") ;; esac; done
if ((${#paths[@]} == 0)); then paths=(/); fi
echo 'Filesystem     1024-blocks      Used Available Capacity Mounted on'
rc=0
for p in "${paths[@]}"; do
  p=${p#"$R"}
  [[ -n $p ]] || p=/
  if [[ ! -e $R$p ]]; then echo "df: $p: No such file or directory" >&2; rc=1; continue; fi
  best='' line=''
  while read -r mnt src size avail; do
    [[ -n $mnt ]] || continue
    if [[ $mnt == / || $p == "$mnt" || $p == "$mnt"/* ]] && ((${#mnt} > ${#best})); then best=$mnt; line="$src $size $avail"; fi
  done <"$S/disks"
  read -r src size avail <<<"$line"
  used=$((size - avail))
  printf '%-14s %11s %9s %9s %7s%% %s\n' "$src" "$size" "$used" "$avail" "$((used * 100 / size))" "$best"
done
exit "$rc"
