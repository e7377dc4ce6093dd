#!/bin/sh
# Tells whether a Delve release reads a binary built by a given Go, as Delve itself decides when it
# loads the binary (pkg/goversion/compat.go: MinSupportedVersionOfGoMinor and
# MaxSupportedVersionOfGoMinor), so a mismatch is found before the component is stopped.
#   delve-supports-go.sh DELVE_VERSION GO_VERSION CHECK
# DELVE_VERSION as `dlv version` prints it (1.20.2, v1.22.1), GO_VERSION as Go records it (go1.19.8).
# CHECK false turns a refusal into a warning: the launch then passes --check-go-version=false.
set -eu
dv=${1#v} gv=$2 check=$3
dminor=$(printf '%s\n' "$dv" | sed -n 's/^1\.\([0-9][0-9]*\)\..*/\1/p')
gminor=$(printf '%s\n' "$gv" | sed -n 's/^go1\.\([0-9][0-9]*\).*/\1/p')
if [ -z "$gminor" ]; then
  # A development Go (devel +abc...) is accepted by Delve without a check.
  echo "Delve $dv, binary built by $gv (not a released Go, which Delve does not check)"
  exit 0
fi
# The supported Go minors of each Delve minor, from its compat.go. Delve 1.20 and later support up
# to their own minor; a release newer than this table is assumed to follow that rule, and its
# lower bound is left unchecked (Delve says so itself when it loads the binary).
min="" max=""
case $dminor in
  7) min=15 max=17 ;;
  8) min=16 max=18 ;;
  9) min=17 max=19 ;;
  20) min=18 max=20 ;;
  21) min=19 max=21 ;;
  22) min=20 max=22 ;;
  23) min=21 max=23 ;;
  24|25) min=21 max=$dminor ;;
  *)
    if [ -n "$dminor" ] && [ "$dminor" -gt 25 ]; then max=$dminor; fi
    ;;
esac
fix="install a Delve that supports $gv on the node or set dlv_upload to one (go install github.com/go-delve/delve/cmd/dlv@VERSION), or build with a Go that this Delve supports"
if [ -z "$max" ]; then
  problem="Delve ${dv:-(version unknown)} is older than any release kplay knows the supported Go versions of (1.7)"
elif [ "$gminor" -gt "$max" ]; then
  problem="Delve $dv is too old for a binary built by $gv: it reads Go up to 1.$max"
elif [ -n "$min" ] && [ "$gminor" -lt "$min" ]; then
  problem="Delve $dv is too new for a binary built by $gv: it reads Go from 1.$min on"
else
  echo "Delve $dv reads a binary built by $gv (Go 1.${min:-?} to 1.$max)"
  exit 0
fi
if [ "$check" = false ]; then
  echo "warning: $problem. dlv_check_go_version is false, so Delve starts with --check-go-version=false: breakpoints, stacks or variables may be wrong" >&2
  echo "Delve $dv with $gv, unchecked"
  exit 0
fi
echo "$problem: $fix; or set dlv_check_go_version=false to try anyway" >&2
exit 1
