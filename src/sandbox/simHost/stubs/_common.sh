# Shared by every simHost stub. The generated header defines S (state dir), R (simulated root),
# STUB (command name), LOG (invocation log) and REAL_DATE.
sim_log() {
  local IFS=$'\x1f'
  printf '%s\x1f%d\x1f%s\x1e' "$STUB" "$#" "$*" >>"$LOG"
}
sim_log "$@"
# Builtins only where possible: process creation dominates the runtime of a simulated run.
sim_cat() {
  local l
  [[ -f $S/$1 ]] || return 0
  while IFS= read -r l || [[ -n $l ]]; do printf '%s\n' "$l"; done <"$S/$1"
}
sim_val() { REPLY=''; if [[ -f $S/$1 ]]; then IFS= read -r REPLY <"$S/$1" || true; fi; }
sim_has() { [[ -e $S/$1 ]]; }
sim_line_in() {
  local l
  [[ -f $S/$2 ]] || return 1
  while IFS= read -r l; do [[ $l == "$1" ]] && return 0; done <"$S/$2"
  return 1
}
sim_add_line() { if ! sim_line_in "$1" "$2"; then printf '%s\n' "$1" >>"$S/$2"; fi; }
sim_arch() { sim_val uname_m; printf '%s\n' "$REPLY"; }
# Profiles can make a command hang (to test timeouts and cancellation).
if sim_line_in "$STUB" hangs; then "$REAL_SLEEP" 60; fi

# Installs a kernel the way the distro packages do: image + initramfs in /boot, package recorded.
sim_install_kernel() {
  local k=$1
  sim_add_line "$k" kernels_installed
  mkdir -p "$R/boot"
  printf 'vmlinuz %s\n' "$k" >"$R/boot/vmlinuz-$k"
  if ! sim_has breaks_initramfs; then
    sim_val family
    if [[ $REPLY == debian ]]; then printf 'initrd\n' >"$R/boot/initrd.img-$k"; else printf 'initramfs\n' >"$R/boot/initramfs-$k.img"; fi
  fi
}

# Writes /boot/grub/grub.cfg like grub-mkconfig on Debian/Ubuntu (submenu with per-kernel ids).
sim_gen_grub_cfg() {
  local default=0 f v k uuid dist first
  sim_val root_uuid
  uuid=$REPLY
  sim_val grub_distributor
  dist=$REPLY
  for f in "$R/etc/default/grub" "$R"/etc/default/grub.d/*.cfg; do
    [[ -r $f ]] || continue
    v=$(sed -n 's/^GRUB_DEFAULT=//p' "$f" | tail -n 1)
    if [[ -n $v ]]; then default=${v//\"/}; fi
  done
  mkdir -p "$R/boot/grub"
  first=$(grep -v '^$' "$S/kernels_installed" | sort -rV | head -n 1)
  {
    echo '### BEGIN /etc/grub.d/00_header ###'
    echo 'if [ -s $prefix/grubenv ]; then'
    echo '  set have_grubenv=true'
    echo '  load_env'
    echo 'fi'
    echo 'if [ "${next_entry}" ] ; then'
    echo '   set default="${next_entry}"'
    echo '   set next_entry='
    echo '   save_env next_entry'
    echo 'else'
    if [[ $default == saved ]]; then echo '   set default="${saved_entry}"'; else echo "   set default=\"$default\""; fi
    echo 'fi'
    echo '### END /etc/grub.d/00_header ###'
    echo '### BEGIN /etc/grub.d/10_linux ###'
    echo "menuentry '$dist' --class gnu-linux --class os \$menuentry_id_option 'gnulinux-simple-$uuid' {"
    echo "	linux	/boot/vmlinuz-$first root=UUID=$uuid ro"
    echo "	initrd	/boot/initrd.img-$first"
    echo '}'
    echo "submenu 'Advanced options for $dist' \$menuentry_id_option 'gnulinux-advanced-$uuid' {"
    while read -r k; do
      [[ -n $k ]] || continue
      echo "	menuentry '$dist, with Linux $k' --class gnu-linux --class os \$menuentry_id_option 'gnulinux-$k-advanced-$uuid' {"
      echo "		linux	/boot/vmlinuz-$k root=UUID=$uuid ro"
      echo '	}'
      echo "	menuentry '$dist, with Linux $k (recovery mode)' --class gnu-linux --class os \$menuentry_id_option 'gnulinux-$k-recovery-$uuid' {"
      echo "		linux	/boot/vmlinuz-$k root=UUID=$uuid ro single"
      echo '	}'
    done < <(grep -v '^$' "$S/kernels_installed" | sort -rV)
    echo '}'
    echo '### END /etc/grub.d/10_linux ###'
  } >"$R/boot/grub/grub.cfg"
}

# sftd consumes /var/lib/sftd/enrollment.token when it starts unenrolled.
sim_sft_start() {
  local tok="$R/var/lib/sftd/enrollment.token" content
  if ! sim_has sft_start_ok; then
    rm -f "$S/sft_active"
    : >"$S/sft_failed"
    return 1
  fi
  : >"$S/sft_active"
  rm -f "$S/sft_failed"
  if [[ -f $tok && ! -s $R/var/lib/sftd/device.token ]]; then
    stat -c '%a' "$tok" >"$S/sft_token_mode_seen"
    IFS= read -r content <"$tok" || true
    sim_val sft_accepted_token
    if sim_has sft_enroll_ok && [[ $content == "$REPLY" ]]; then
      printf 'sim-device-token-%s\n' "$RANDOM" >"$R/var/lib/sftd/device.token"
      chmod 600 "$R/var/lib/sftd/device.token"
      if sim_has sft_consumes_token; then rm -f "$tok"; fi
    else
      printf 'sftd: enrollment failed: server rejected the enrollment token\n' >>"$S/journal_errors"
    fi
  fi
  return 0
}

# Debian: SEL = the packages apt 2.x (apt-get, apt-cache) selects for a command-line name: the
# package of that name (case-insensitively); else, for a name with ? * [, those it matches as a
# glob; else, for a name with . ? + * | [ ^ $, those it matches as an unanchored, case-insensitive
# POSIX extended regex. SEL_HOW says which. Packages: linux-image-<k> for every installed or
# available kernel, plus the profile's other repository packages.
sim_apt_select() {
  local want=$1 p k glob_chars='[]?*[]' re_chars='[].?+*|[^$]'
  local -a pkgs=()
  for p in kernels_installed kernels_available; do
    while read -r k; do [[ -n $k ]] && pkgs+=("linux-image-$k"); done < <(sim_cat "$p")
  done
  while read -r p; do [[ -n $p ]] && pkgs+=("$p"); done < <(sim_cat extra_packages)
  SEL=() SEL_HOW=name
  shopt -s nocasematch
  for p in "${pkgs[@]}"; do [[ $p == "$want" ]] && { SEL=("$p"); break; }; done
  if ((${#SEL[@]} == 0)) && [[ $want =~ $glob_chars ]]; then
    SEL_HOW=glob
    # shellcheck disable=SC2053 # glob match is the point
    for p in "${pkgs[@]}"; do [[ $p == $want ]] && SEL+=("$p"); done
  fi
  if ((${#SEL[@]} == 0)) && [[ $want =~ $re_chars ]]; then
    SEL_HOW=regex
    for p in "${pkgs[@]}"; do [[ $p =~ $want ]] && SEL+=("$p"); done
  fi
  shopt -u nocasematch
  if ((${#SEL[@]} > 0)); then
    mapfile -t SEL < <(printf '%s\n' "${SEL[@]}" | sort -u)
  fi
}
# Removes line $1 from state file $2.
sim_del_line() {
  local l keep=()
  [[ -f $S/$2 ]] || return 0
  while IFS= read -r l; do [[ $l == "$1" ]] || keep+=("$l"); done <"$S/$2"
  if ((${#keep[@]} > 0)); then printf '%s\n' "${keep[@]}" >"$S/$2"; else : >"$S/$2"; fi
}
