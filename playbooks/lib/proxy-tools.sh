#!/bin/sh
# The tools a host-run kube-proxy needs, checked on the node before anything changes: proxy-tools.sh PID
# The pod brings its own iptables, ipset and nft; the debug build runs on the host and uses the host's. The
# mode comes from the running kube-proxy's config file (its --config, read through /proc/PID/root: the path is
# the container's), else its --proxy-mode flag, else kube-proxy's default, iptables. iptables mode needs
# iptables, ipvs mode ipset and ipvsadm as well (it keeps iptables rules too), nftables mode nft. iptables has
# two backends, legacy and nf_tables (`iptables -V` says which); the host's must be the one the running
# kube-proxy's KUBE- chains are in, or the debug build would write a second set of rules the first one shadows.
# Prints what it found; exits 1 saying what is missing or different.
pid=$1
flags=$(tr '\0' '\n' < "/proc/$pid/cmdline") || { echo "cannot read kube-proxy's command line (pid $pid)" >&2; exit 1; }
cfg=$(printf '%s\n' "$flags" | sed -n -e 's/^--config=//p' -e '/^--config$/{n;p;}' | tail -n 1)
mode= from=
if [ -n "$cfg" ]; then
  if [ -r "/proc/$pid/root$cfg" ]; then
    mode=$(sed -n 's/^mode:[[:space:]]*//p' "/proc/$pid/root$cfg" | head -n 1 | tr -d "\"' \r")
    from="its config file $cfg"
  else
    echo "warning: kube-proxy's config file $cfg cannot be read from the host; taking its default mode" >&2
  fi
else
  mode=$(printf '%s\n' "$flags" | sed -n -e 's/^--proxy-mode=//p' -e '/^--proxy-mode$/{n;p;}' | tail -n 1)
  from="its --proxy-mode flag"
fi
if [ -z "$mode" ]; then mode=iptables from="kube-proxy's default"; fi
case $mode in
  iptables) need=iptables ;;
  ipvs) need="iptables ipset ipvsadm" ;;
  nftables) need=nft ;;
  userspace | kernelspace) need= ;;
  *) echo "kube-proxy's mode \"$mode\" ($from) is not one kplay knows the tools of (iptables, ipvs, nftables)" >&2; exit 1 ;;
esac
missing=
for t in $need; do command -v "$t" >/dev/null 2>&1 || missing="$missing $t"; done
if [ -n "$missing" ]; then
  echo "kube-proxy runs in $mode mode ($from), which needs$missing on the node: its pod brings its own, but the debug build runs on the host; install them first" >&2
  exit 1
fi
echo "kube-proxy mode: $mode ($from); found:$(for t in $need; do printf ' %s' "$(command -v "$t")"; done)"
case " $need " in *" iptables "*) ;; *) exit 0 ;; esac

version=$(iptables -V 2>/dev/null)
case $version in
  *nf_tables*) host=nft ;;
  *) host=legacy ;; # "(legacy)", or an iptables older than 1.8, which has only that backend
esac
kube_chains() { command -v "iptables-$1-save" >/dev/null 2>&1 && "iptables-$1-save" 2>/dev/null | grep -c '^:KUBE-'; }
legacy=$(kube_chains legacy) nft=$(kube_chains nft)
running=
if [ "${legacy:-0}" -gt "${nft:-0}" ]; then running=legacy; elif [ "${nft:-0}" -gt "${legacy:-0}" ]; then running=nft; fi
if [ -z "$running" ]; then
  echo "iptables: $version; the running kube-proxy's KUBE- chains were not found in either backend, so the backends are not compared"
  exit 0
fi
if [ "$running" != "$host" ]; then
  echo "the running kube-proxy's rules are in the iptables $running backend (${legacy:-0} KUBE- chains in iptables-legacy-save, ${nft:-0} in iptables-nft-save), but this node's iptables is \"$version\": the debug build would write its rules beside them; make iptables use the $running backend (update-alternatives --set iptables /usr/sbin/iptables-$running) first" >&2
  exit 1
fi
echo "iptables: $version, the backend the running kube-proxy's KUBE- chains are in"
