# apt-cache show: the record of each package apt selects for a name (see sim_apt_select: a name that
# matches no package is read as a glob or regex, like the real apt-cache does).
args=()
for a in "$@"; do case $a in -*) ;; *) args+=("$a") ;; esac; done
case ${args[0]:-} in
  show)
    found=0
    for name in "${args[@]:1}"; do
      sim_apt_select "$name"
      for p in ${SEL[@]+"${SEL[@]}"}; do
        if [[ $SEL_HOW != name ]]; then echo "N: Note, selecting '$p' for $SEL_HOW '$name'" >&2; fi
        case $p in *-dbg | *-dbgsym) section=debug ;; *) section=kernel ;; esac
        printf 'Package: %s\nVersion: 1.0-1\nArchitecture: amd64\nSection: %s\nDescription: simulated package\n\n' "$p" "$section"
        found=1
      done
    done
    if ((!found)); then echo "E: No packages found" >&2; exit 100; fi
    ;;
  *) echo "apt-cache: command not simulated: $*" >&2; exit 100 ;;
esac
