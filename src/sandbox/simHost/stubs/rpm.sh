# Installed kernels (uname -r strings) become kernel/kernel-core (or kernel-uek*) packages.
mode='' qf='%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}\n' names=()
while (($#)); do
  case $1 in
    -qa) mode=qa ;;
    -q) mode=q ;;
    --qf | --queryformat) qf=$2; shift ;;
    -*) ;;
    *) names+=("$1") ;;
  esac
  shift
done
PKGS=() # "name version release arch"
while read -r k; do
  [[ -n $k ]] || continue
  v=${k%%-*} rest=${k#*-} a=${k##*.} r=${rest%.*}
  if [[ $k == *uek* ]]; then n=kernel-uek; else n=kernel; fi
  PKGS+=("$n $v $r $a" "$n-core $v $r $a")
done <"$S/kernels_installed"
if sim_has sft_installed; then sim_val sft_version; PKGS+=("scaleft-server-tools $REPLY 1 x86_64"); fi
rc=0
case $mode in
  qa)
    for pkg in "${PKGS[@]}"; do
      read -r n v r a <<<"$pkg"
      match=0
      if ((${#names[@]} == 0)); then match=1; fi
      for p in "${names[@]}"; do
        # shellcheck disable=SC2053 # glob match is the point
        [[ $n == $p ]] && match=1
      done
      if ((match)); then
        out=${qf//'%{NAME}'/$n}
        out=${out//'%{VERSION}'/$v}
        out=${out//'%{RELEASE}'/$r}
        out=${out//'%{ARCH}'/$a}
        printf '%b' "$out"
      fi
    done
    ;;
  q)
    for p in "${names[@]}"; do
      found=''
      for pkg in "${PKGS[@]}"; do
        read -r n v r a <<<"$pkg"
        if [[ $p == "$n" || $p == "$n-$v-$r" || $p == "$n-$v-$r.$a" ]]; then found="$n-$v-$r.$a"; fi
      done
      if [[ -n $found ]]; then echo "$found"; else echo "package $p is not installed"; rc=1; fi
    done
    ;;
  *) echo "rpm: mode not simulated" >&2; rc=1 ;;
esac
exit "$rc"
