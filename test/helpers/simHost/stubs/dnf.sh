# dnf and yum: check-update and install of kernel packages.
args=()
for a in "$@"; do case $a in -*) ;; *) args+=("$a") ;; esac; done
case ${args[0]:-} in
  check-update)
    if sim_has repo_error; then
      echo "Error: Failed to download metadata for repo 'baseos': Cannot download repomd.xml: Curl error (28): Timeout was reached" >&2
      exit 1
    fi
    n=0
    sim_val uname_m
    arch=$REPLY
    while read -r u; do
      [[ -n $u ]] || continue
      printf '%-40s %-28s %s\n' "$u.$arch" "1.0-2.el9" "baseos"
      n=$((n + 1))
    done <"$S/updates"
    if ((n > 0)); then exit 100; fi
    exit 0
    ;;
  install)
    if sim_has install_fails; then
      echo "Error: Transaction test error: installing package needs 48MB more space on the /boot filesystem" >&2
      exit 1
    fi
    rc=0
    sim_val uname_m
    arch=$REPLY
    for p in "${args[@]:1}"; do
      k=''
      for pre in kernel-uek-core- kernel-uek- kernel-core- kernel-; do
        if [[ $p == "$pre"* ]]; then k=${p#"$pre"}; break; fi
      done
      if [[ -n $k && $k != *."$arch" ]]; then k="$k.$arch"; fi
      if [[ -n $k ]] && sim_line_in "$k" kernels_installed; then
        echo "Package $p is already installed."
      elif [[ -n $k ]] && sim_line_in "$k" kernels_available; then
        echo "Installing: $p"
        sim_install_kernel "$k"
        echo "Installed: $p"
      else
        echo "No match for argument: $p"
        echo "Error: Unable to find a match: $p" >&2
        rc=1
      fi
    done
    if ((rc == 0)); then echo Complete!; fi
    exit "$rc"
    ;;
  *) echo "$STUB: command not simulated: $*" >&2; exit 1 ;;
esac
