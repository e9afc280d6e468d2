# shellcheck shell=bash
# pcm-sft-lib: helpers shared by the sft-fix scripts (sftd package, service state, journal).
# Inlined by the registry after lib/pcm-lib.sh, whose helpers and globals it uses.
SFT_DIR="$ROOT/var/lib/sftd"
SFT_INSTALLED=false
SFT_PACKAGE=''
SFT_ACTIVE=''
SFT_ENABLED=''
SFT_ENROLLED=false
SFT_VERSION=''
SFT_ERRORS=''
SFT_ERROR_TAIL=()

# SFT_INSTALLED / SFT_PACKAGE: the scaleft-server-tools package, or an sftd binary on PATH.
sft_detect_installed() {
  local status=''
  SFT_INSTALLED=false
  SFT_PACKAGE=''
  case $OS_FAMILY in
    rhel)
      if pcm_have rpm; then SFT_PACKAGE=$(rpm -q scaleft-server-tools 2>/dev/null) || SFT_PACKAGE=''; fi
      ;;
    debian)
      if pcm_have dpkg-query; then
        status=$(dpkg-query -W -f="\${Status} \${Version}" scaleft-server-tools 2>/dev/null) || status=''
        if [[ $status == 'install ok installed '* ]]; then SFT_PACKAGE="scaleft-server-tools ${status##* }"; fi
      fi
      ;;
  esac
  if [[ -n $SFT_PACKAGE ]] || pcm_have sftd; then SFT_INSTALLED=true; fi
}

# SFT_ACTIVE / SFT_ENABLED as systemctl prints them; SFT_ENROLLED from device.token's existence
# (the file is a credential: it is never read).
sft_state() {
  SFT_ACTIVE=$(systemctl is-active sftd 2>/dev/null) || true
  SFT_ENABLED=$(systemctl is-enabled sftd 2>/dev/null) || true
  SFT_ACTIVE=${SFT_ACTIVE:-unknown}
  SFT_ENABLED=${SFT_ENABLED:-unknown}
  if [[ -s $SFT_DIR/device.token ]]; then SFT_ENROLLED=true; else SFT_ENROLLED=false; fi
}

sft_version() {
  SFT_VERSION=''
  if pcm_have sftd; then SFT_VERSION=$(sftd --version 2>/dev/null) || SFT_VERSION=''; fi
  SFT_VERSION=${SFT_VERSION%%$'\n'*}
  SFT_VERSION=${SFT_VERSION//[[:cntrl:]]/ }
  SFT_VERSION=${SFT_VERSION:0:80}
}

# Waits up to $1 seconds for sftd to settle; REPLY = last is-active state. "failed" ends the wait,
# "activating" (e.g. restart back-off) keeps it going.
sft_wait_active() {
  local i state=''
  for ((i = 0; i < $1; i++)); do
    state=$(systemctl is-active sftd 2>/dev/null) || true
    if [[ $state == active || $state == failed ]]; then break; fi
    sleep 1
  done
  REPLY=${state:-unknown}
}

# REPLY = $1 made safe for the result: control characters removed, long token-like runs masked
# (log lines may quote credentials), at most 200 characters.
sft_redact() {
  local s=${1//[[:cntrl:]]/ } re='[A-Za-z0-9+/=_.-]{32,}'
  while [[ $s =~ $re ]]; do s=${s/"${BASH_REMATCH[0]}"/[redacted]}; done
  REPLY=${s:0:200}
}

# SFT_ERRORS = error-priority journal lines of sftd since $1 ('' when journalctl is missing);
# SFT_ERROR_TAIL = the last five of them, redacted.
sft_journal_errors() {
  local out line i
  local -a lines=()
  SFT_ERRORS=''
  SFT_ERROR_TAIL=()
  pcm_have journalctl || return 0
  out=$(journalctl -u sftd --since "$1" -p err --no-pager -q -o cat 2>/dev/null) || true
  while IFS= read -r line; do
    if [[ -n $line ]]; then lines+=("$line"); fi
  done < <(printf '%s\n' "$out")
  SFT_ERRORS=${#lines[@]}
  for ((i = SFT_ERRORS > 5 ? SFT_ERRORS - 5 : 0; i < SFT_ERRORS; i++)); do
    sft_redact "${lines[i]}"
    SFT_ERROR_TAIL+=("$REPLY")
  done
}

sft_d_state() {
  pcm_d_str active "$SFT_ACTIVE"
  pcm_d_str enabled "$SFT_ENABLED"
  pcm_d_bool enrolled "$SFT_ENROLLED"
}
