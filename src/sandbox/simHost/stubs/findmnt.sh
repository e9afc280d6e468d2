# Only `findmnt -rn -o TARGET,SOURCE,FSTYPE` is simulated; state/mounts holds exactly those columns.
sim_cat mounts
