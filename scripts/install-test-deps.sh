#!/usr/bin/env bash
# Installs the Debian packages the test suite runs for real: OpenSSH servers and clients for the
# SSH lab, sudo for become, procps for pgrep/ps (wait_for process), util-linux for setsid
# (the dlv kind detaches Delve with it) and for unshare/nsenter/mount (the stand-in nodes), Go,
# make and Delve for the dlv tests and the stand-in Kubernetes tree, openssl for the stand-in
# nodes' certificates, curl for the debug playbooks' health checks, hostname for the nodes' names.
# For the real Kubernetes 1.20 control plane (test/support/k8s-tree.ts): rsync (the tree's make
# needs it; without it the first build poisons _output), etcd-server (etcd 3.4, the version 1.20
# was released with) and Debian's reflect2 1.0.2 (the tree's vendored 1.0.1 breaks under Go 1.18+).
# For the real kube-proxy on that control plane's node (test/support/real-kube-proxy.ts): iptables
# (kube-proxy's iptables mode runs iptables-save/-restore; Debian's is the nf_tables one, whose
# rules stay in the node's own network namespace) and conntrack (kube-proxy clears stale UDP
# entries with it, in that namespace's table too).
# Then it fetches Debian's `kubernetes` source package into $KPLAY_TEST_CACHE/src (default
# /var/cache/kplay-test/src, outside the checkout so a fresh clone reuses it), once.
set -euo pipefail
PACKAGES=(openssh-server openssh-client sudo procps util-linux golang-go make delve openssl curl hostname
  rsync etcd-server golang-github-modern-go-reflect2-dev iptables conntrack)
CACHE=${KPLAY_TEST_CACHE:-/var/cache/kplay-test}
SRC_LIST=/etc/apt/sources.list.d/kplay-test-src.list
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
export DEBIAN_FRONTEND=noninteractive

install_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Writes deb-src lines for the archives and suites that carry the binary package built from the
# `kubernetes` source (kubernetes-client), so the source comes from the very archive the machine
# already uses, whether its lists are one-line or deb822 files.
archives_of_kubernetes() {
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg opts=''
  [ -f "$keyring" ] && opts="[signed-by=$keyring] "
  apt-cache madison kubernetes-client |
    awk -F'|' -v o="$opts" '$3 ~ / Packages *$/ { split($3, a, " "); split(a[2], s, "/"); print "deb-src " o a[1] " " s[1] " " s[2] }' | sort -u
}
add_deb_src() {
  local lines
  # Package lists may have been cleaned (container images do): they are fetched once if needed.
  lines=$(archives_of_kubernetes)
  [ -n "$lines" ] || { "${as_root[@]}" apt-get update -qq && lines=$(archives_of_kubernetes); }
  if [ -z "$lines" ]; then
    echo "no apt source carries kubernetes-client: add Debian 12 (bookworm) main to /etc/apt/sources.list.d, then run this again" >&2
    return 1
  fi
  printf '# Added by kplay scripts/install-test-deps.sh: Debian'"'"'s kubernetes source for the tests\n%s\n' "$lines" |
    "${as_root[@]}" tee "$SRC_LIST" >/dev/null
  "${as_root[@]}" apt-get update -qq
}

# The source is downloaded into a temporary folder beside src/ and renamed into place only when
# complete, so an interrupted download is fetched again rather than taken for the source (and
# what it left is removed).
fetch_source() {
  ls "$CACHE"/src/kubernetes_*.dsc >/dev/null 2>&1 && return 0
  apt-cache showsrc kubernetes 2>/dev/null | grep -q '^Package: kubernetes' || add_deb_src
  "${as_root[@]}" mkdir -p "$CACHE"
  local tmp
  "${as_root[@]}" rm -rf "$CACHE"/src.partial.*
  tmp=$("${as_root[@]}" mktemp -d "$CACHE/src.partial.XXXXXX")
  # Root downloads unsandboxed (the _apt user cannot write there); apt says so, harmlessly.
  (cd "$tmp" && "${as_root[@]}" apt-get source --download-only -qq kubernetes 2>&1 | grep -v 'unsandboxed' >&2 || true)
  if ! ls "$tmp"/kubernetes_*.dsc "$tmp"/kubernetes_*.orig.tar.* >/dev/null 2>&1; then
    "${as_root[@]}" rm -rf "$tmp"
    echo "apt-get source --download-only kubernetes fetched nothing (see above)" >&2
    return 1
  fi
  "${as_root[@]}" rm -rf "$CACHE/src"
  "${as_root[@]}" mv "$tmp" "$CACHE/src"
  "${as_root[@]}" chmod 755 "$CACHE" "$CACHE/src"
}

# The README's "Debug another component" playbook builds Debian's etcd 3.4 from its source package
# (test/support/etcd-source.ts): the source into $KPLAY_TEST_CACHE/etcd-src, once, and the Go
# libraries Debian builds it against (apt-get build-dep etcd). Same archive as the kubernetes source.
fetch_etcd_source() {
  "${as_root[@]}" apt-get build-dep -y -qq --no-install-recommends etcd
  ls "$CACHE"/etcd-src/etcd_*.dsc >/dev/null 2>&1 && return 0
  local tmp
  "${as_root[@]}" rm -rf "$CACHE"/etcd-src.partial.*
  tmp=$("${as_root[@]}" mktemp -d "$CACHE/etcd-src.partial.XXXXXX")
  (cd "$tmp" && "${as_root[@]}" apt-get source --download-only -qq etcd 2>&1 | grep -v 'unsandboxed' >&2 || true)
  ls "$tmp"/etcd_*.dsc >/dev/null 2>&1 || { "${as_root[@]}" rm -rf "$tmp"; echo "apt-get source --download-only etcd fetched nothing (see above)" >&2; return 1; }
  "${as_root[@]}" mv "$tmp" "$CACHE/etcd-src"
  "${as_root[@]}" chmod 755 "$CACHE/etcd-src"
}

install_packages
fetch_source
fetch_etcd_source
