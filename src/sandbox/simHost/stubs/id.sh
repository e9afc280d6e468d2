sim_val uid
case ${1:-} in
  -u) echo "$REPLY" ;;
  *) echo "uid=$REPLY gid=$REPLY groups=$REPLY" ;;
esac
