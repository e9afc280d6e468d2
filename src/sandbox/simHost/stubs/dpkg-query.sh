fmt='${binary:Package}\t${Version}\n' pats=()
while (($#)); do
  case $1 in
    -W | --show) ;;
    -f | --showformat) fmt=$2; shift ;;
    -f=* | --showformat=*) fmt=${1#*=} ;;
    -*) ;;
    *) pats+=("$1") ;;
  esac
  shift
done
PKGS=() # "name version"
while read -r k; do [[ -n $k ]] && PKGS+=("linux-image-$k $k.1"); done <"$S/kernels_installed"
while read -r p; do [[ -n $p ]] && PKGS+=("$p 1.0-1"); done < <(sim_cat packages_installed)
if sim_has sft_installed; then sim_val sft_version; PKGS+=("scaleft-server-tools $REPLY"); fi
rc=0
for pat in "${pats[@]}"; do
  hit=0
  for pkg in "${PKGS[@]}"; do
    read -r n v <<<"$pkg"
    # shellcheck disable=SC2053 # glob match is the point
    [[ $n == $pat ]] || continue
    hit=1
    out=${fmt//'${Package}'/$n}
    out=${out//'${binary:Package}'/$n}
    out=${out//'${Version}'/$v}
    out=${out//'${Status}'/install ok installed}
    printf '%b' "$out"
  done
  if ((!hit)); then echo "dpkg-query: no packages found matching $pat" >&2; rc=1; fi
done
exit "$rc"
