case ${1:-} in
  -r) cat "$S/uname_r" ;;
  -m) sim_arch ;;
  -n) cat "$S/hostname" ;;
  -s | '') echo Linux ;;
  -a) echo "Linux $(cat "$S/hostname") $(cat "$S/uname_r") #1 SMP $(sim_arch) GNU/Linux" ;;
  *) echo "uname: option $1 not simulated" >&2; exit 1 ;;
esac
