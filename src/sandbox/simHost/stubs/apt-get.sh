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
    # Like apt 2.x: a name that is no package but ends in - or + is the name before it, to remove or
    # install; each name goes through sim_apt_select (exact, else glob, else regex).
    if sim_has install_fails; then echo "E: You don't have enough free space in /var/cache/apt/archives/." >&2; exit 100; fi
    installs=() removes=()
    for name in "${args[@]:1}"; do
      sim_apt_select "$name"
      mode=install
      if [[ $SEL_HOW != name || ${#SEL[@]} -eq 0 ]] && [[ $name == *[-+] ]]; then
        if [[ $name == *- ]]; then mode=remove; fi
        sim_apt_select "${name%?}"
        name=${name%?}
      fi
      if ((${#SEL[@]} == 0)); then
        echo "E: Unable to locate package $name" >&2
        echo "E: Couldn't find any package by glob '$name'" >&2
        echo "E: Couldn't find any package by regex '$name'" >&2
        exit 100
      fi
      for p in "${SEL[@]}"; do
        if [[ $SEL_HOW != name ]]; then echo "Note, selecting '$p' for $SEL_HOW '$name'"; fi
        if [[ $mode == remove ]]; then removes+=("$p"); else installs+=("$p"); fi
      done
    done
    regen=0
    for p in ${removes[@]+"${removes[@]}"}; do
      k=${p#linux-image-}
      if sim_line_in "$k" kernels_installed; then
        echo "Removing $p ..."
        sim_del_line "$k" kernels_installed
        rm -f "$R/boot/vmlinuz-$k" "$R/boot/initrd.img-$k"
        regen=1
      elif sim_line_in "$p" packages_installed; then
        echo "Removing $p ..."
        sim_del_line "$p" packages_installed
      else
        echo "Package '$p' is not installed, so not removed"
      fi
    done
    for p in ${installs[@]+"${installs[@]}"}; do
      k=${p#linux-image-}
      if sim_line_in "$k" kernels_installed || sim_line_in "$p" packages_installed; then
        echo "$p is already the newest version."
      elif sim_line_in "$k" kernels_available; then
        echo "Setting up $p ..."
        sim_install_kernel "$k"
        regen=1
      else
        echo "Setting up $p ..."
        sim_add_line "$p" packages_installed
      fi
    done
    if ((regen)); then sim_gen_grub_cfg; fi
    ;;
  *) echo "apt-get: command not simulated: ${args[*]}" >&2; exit 100 ;;
esac
