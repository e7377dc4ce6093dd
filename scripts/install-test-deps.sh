#!/usr/bin/env bash
# Installs the Debian packages the test suite runs for real: OpenSSH servers and clients for the
# SSH lab, sudo for become, procps for pgrep/ps (wait_for process), util-linux for setsid
# (the dlv kind detaches Delve with it) and for unshare/nsenter/mount (the stand-in nodes), Go,
# make and Delve for the dlv tests and the stand-in Kubernetes tree, openssl for the stand-in
# nodes' certificates, curl for the debug playbooks' health checks, hostname for the nodes' names.
set -euo pipefail
PACKAGES=(openssh-server openssh-client sudo procps util-linux golang-go make delve openssl curl hostname)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
