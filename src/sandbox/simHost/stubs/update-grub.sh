echo "Sourcing file \`/etc/default/grub'" >&2
echo "Generating grub configuration file ..." >&2
sim_gen_grub_cfg
echo done >&2
