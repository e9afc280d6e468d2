case ${1:-} in
  -r) sim_cat uname_r ;;
  -m) sim_cat uname_m ;;
  -n) sim_cat hostname ;;
  -s | '') echo Linux ;;
  *) echo "uname: option $1 not simulated" >&2; exit 1 ;;
esac
