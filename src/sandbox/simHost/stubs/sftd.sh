case ${1:-} in
  --version | -v | version) sim_val sft_version; echo "sftd version $REPLY" ;;
  *) echo "sftd: not simulated: $*" >&2; exit 1 ;;
esac
