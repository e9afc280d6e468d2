case ${1:-} in
  --default-kernel) sim_cat grubby_default ;;
  --set-default | --set-default=*)
    if [[ $1 == --set-default ]]; then p=${2:-}; else p=${1#*=}; fi
    if [[ ! -e $R$p ]]; then echo "The param $p is incorrect" >&2; exit 1; fi
    if ! sim_has grubby_ignores_set_default; then echo "$p" >"$S/grubby_default"; fi
    echo "The default is /boot/loader/entries/ec2abc-${p#/boot/vmlinuz-}.conf with index 0 and kernel $p"
    ;;
  *) echo "grubby: option not simulated: $*" >&2; exit 1 ;;
esac
