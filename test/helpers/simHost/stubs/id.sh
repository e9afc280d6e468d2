uid=$(cat "$S/uid")
case ${1:-} in
  -u) echo "$uid" ;;
  *) echo "uid=$uid gid=$uid groups=$uid" ;;
esac
