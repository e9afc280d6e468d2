args=() simulate=0
while (($#)); do
  case $1 in
    -o) shift ;;
    -s | --simulate | --dry-run) simulate=1 ;;
    -*) ;;
    *) args+=("$1") ;;
  esac
  shift
done
case ${args[0]:-} in
  update)
    if sim_has repo_error; then
      echo "E: Failed to fetch http://archive.ubuntu.com/ubuntu/dists/jammy-updates/InRelease  Could not connect to archive.ubuntu.com:80" >&2
      exit 100
    fi
    echo "Reading package lists..."
    ;;
  upgrade | dist-upgrade | full-upgrade)
    if ((!simulate)); then echo "apt-get: real upgrades are not simulated" >&2; exit 100; fi
    echo "NOTE: This is only a simulation!"
    while read -r u; do
      [[ -n $u ]] || continue
      echo "Inst $u [1.0-1] (1.0-2 Ubuntu:22.04/jammy-updates [amd64])"
    done <"$S/updates"
    ;;
  install)
    if sim_has install_fails; then echo "E: You don't have enough free space in /var/cache/apt/archives/." >&2; exit 100; fi
    rc=0
    for p in "${args[@]:1}"; do
      k=${p#linux-image-}
      if [[ $k == "$p" ]]; then echo "E: Unable to locate package $p" >&2; rc=100; continue; fi
      if sim_line_in "$k" kernels_installed; then
        echo "$p is already the newest version."
      elif sim_line_in "$k" kernels_available; then
        echo "Setting up $p ..."
        sim_install_kernel "$k"
        sim_gen_grub_cfg
      else
        echo "E: Unable to locate package $p" >&2
        rc=100
      fi
    done
    exit "$rc"
    ;;
  *) echo "apt-get: command not simulated: ${args[*]}" >&2; exit 100 ;;
esac
