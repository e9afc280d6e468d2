# dnf and yum: check-update, list and install, matching package specs the way dnf does: the first of
# the forms name-version-release.arch, name-version-release, name.arch, name that matches wins, each
# form compared as a glob (* ? [ are wildcards), case-sensitively. A fake that only knew exact names
# would hide a spec that selects more than the script meant.
args=()
for a in "$@"; do case $a in -*) ;; *) args+=("$a") ;; esac; done
sim_val uname_m
arch=$REPLY

# UNIVERSE = "name version release arch" of every package the repositories or the rpm database know.
UNIVERSE=()
sim_rpm_add() {
  local x=$1 a nvr r nv
  a=${x##*.} nvr=${x%.*}
  r=${nvr##*-} nv=${nvr%-*}
  UNIVERSE+=("${nv%-*} ${nv##*-} $r $a")
}
for f in kernels_installed kernels_available; do
  while read -r k; do
    [[ -n $k ]] || continue
    if [[ $k == *uek* ]]; then base=kernel-uek; else base=kernel; fi
    sim_rpm_add "$base-$k"
    sim_rpm_add "$base-core-$k"
  done < <(sim_cat "$f")
done
while read -r p; do [[ -n $p ]] && sim_rpm_add "$p"; done < <(sim_cat extra_packages)

# SEL = the packages spec $1 selects (first matching form; newest only for the name and name.arch forms).
sim_dnf_select() {
  local spec=$1 form pkg n v r a key best
  SEL=()
  for form in nevra nevr na n; do
    for pkg in "${UNIVERSE[@]}"; do
      read -r n v r a <<<"$pkg"
      case $form in
        nevra) key="$n-$v-$r.$a" ;;
        nevr) key="$n-$v-$r" ;;
        na) key="$n.$a" ;;
        n) key=$n ;;
      esac
      # shellcheck disable=SC2053 # glob match is the point
      [[ $key == $spec ]] && SEL+=("$n-$v-$r.$a")
    done
    if ((${#SEL[@]} > 0)); then break; fi
  done
  if [[ $form == na || $form == n ]] && ((${#SEL[@]} > 0)); then
    best=$(printf '%s\n' "${SEL[@]}" | sort -V | tail -n 1)
    SEL=("$best")
  fi
}
# The kernel (uname -r string) a package belongs to, '' for other packages.
sim_kernel_of() {
  local pre
  REPLY=''
  for pre in kernel-uek-core- kernel-uek- kernel-core- kernel-; do
    if [[ $1 == "$pre"[0-9]* ]]; then REPLY=${1#"$pre"}; return 0; fi
  done
}
sim_rpm_installed() {
  sim_kernel_of "$1"
  if [[ -n $REPLY ]]; then sim_line_in "$REPLY" kernels_installed; else sim_line_in "$1" packages_installed; fi
}

case ${args[0]:-} in
  check-update)
    if sim_has repo_error; then
      echo "Error: Failed to download metadata for repo 'baseos': Cannot download repomd.xml: Curl error (28): Timeout was reached" >&2
      exit 1
    fi
    n=0
    while read -r u; do
      [[ -n $u ]] || continue
      printf '%-40s %-28s %s\n' "$u.$arch" "1.0-2.el9" "baseos"
      n=$((n + 1))
    done <"$S/updates"
    if ((n > 0)); then exit 100; fi
    exit 0
    ;;
  list)
    if sim_has repo_error; then echo "Error: Failed to download metadata for repo 'baseos'" >&2; exit 1; fi
    narrow=all specs=("${args[@]:1}")
    case ${specs[0]:-} in available | installed | all) narrow=${specs[0]}; specs=("${specs[@]:1}") ;; esac
    for a in "$@"; do case $a in --available) narrow=available ;; --installed) narrow=installed ;; esac; done
    lines=()
    for spec in "${specs[@]}"; do
      sim_dnf_select "$spec"
      for p in ${SEL[@]+"${SEL[@]}"}; do
        if sim_rpm_installed "$p"; then [[ $narrow != available ]] || continue; else [[ $narrow != installed ]] || continue; fi
        a=${p##*.} nvr=${p%.*}
        r=${nvr##*-} nv=${nvr%-*}
        lines+=("$(printf '%-40s %-32s %s' "${nv%-*}.$a" "${nv##*-}-$r" baseos)")
      done
    done
    if ((${#lines[@]} == 0)); then echo "Error: No matching Packages to list" >&2; exit 1; fi
    if [[ $narrow == installed ]]; then echo "Installed Packages"; else echo "Available Packages"; fi
    printf '%s\n' "${lines[@]}"
    ;;
  install)
    if sim_has install_fails; then
      echo "Error: Transaction test error: installing package needs 48MB more space on the /boot filesystem" >&2
      exit 1
    fi
    rc=0
    for spec in "${args[@]:1}"; do
      sim_dnf_select "$spec"
      if ((${#SEL[@]} == 0)); then
        echo "No match for argument: $spec"
        echo "Error: Unable to find a match: $spec" >&2
        rc=1
        continue
      fi
      for p in "${SEL[@]}"; do
        if sim_rpm_installed "$p"; then echo "Package $p is already installed."; continue; fi
        echo "Installing: $p"
        sim_kernel_of "$p"
        if [[ -n $REPLY ]]; then sim_install_kernel "$REPLY"; else sim_add_line "$p" packages_installed; fi
        echo "Installed: $p"
      done
    done
    if ((rc == 0)); then echo Complete!; fi
    exit "$rc"
    ;;
  *) echo "$STUB: command not simulated: $*" >&2; exit 1 ;;
esac
