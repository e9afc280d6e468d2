# Only `findmnt -rn -o TARGET,SOURCE,FSTYPE` is simulated; state/mounts holds exactly those columns.
cat "$S/mounts"
