case ${1:-} in
  --version | -v | version) echo "sftd version $(cat "$S/sft_version")" ;;
  *) echo "sftd: not simulated: $*" >&2; exit 1 ;;
esac
