entry=${!#}
mkdir -p "$R/boot/grub"
{
  echo '# GRUB Environment Block'
  echo "saved_entry=$entry"
  pad=$(printf '%*s' 900 '')
  printf '%s' "${pad// /#}"
} >"$R/boot/grub/grubenv"
