#!/bin/sh
# Checks that a Go binary was built for debugging and prints the Go version that built it.
#   check-debug-binary.sh BINARY
# Go records its build flags in the binary (go version -m): a debug build has -N -l in its
# gcflags and no -s or -w (stripping) in its ldflags. Without go here the check is skipped.
set -eu
bin=$1
[ -f "$bin" ] || { echo "$bin does not exist" >&2; exit 1; }
if ! command -v go >/dev/null 2>&1; then
  echo "go is not installed here, so $bin is not checked for debug information" >&2
  echo unknown
  exit 0
fi
# go version exits 0 on files it cannot read, so its answer is checked instead.
version=$(go version "$bin" 2>&1 || true)
case $version in
  "$bin: go1."*) ;;
  *) echo "$bin is not a Go binary (${version#"$bin: "})" >&2; exit 1 ;;
esac
info=$(go version -m "$bin")
if ! printf '%s\n' "$info" | grep -q -- '-gcflags=.*-N -l'; then
  echo "$bin was built with optimisations, so breakpoints and variables will not work. Build it with make WHAT=cmd/COMPONENT DBG=1, or leave binary empty to let kplay build it" >&2
  exit 1
fi
if printf '%s\n' "$info" | grep -Eq -- '-ldflags=.*(^|[ "=])-[sw]([ "]|$)'; then
  echo "$bin is stripped (-s/-w in its ldflags): Delve cannot read its debug information. Build it with make WHAT=cmd/COMPONENT DBG=1" >&2
  exit 1
fi
echo "${version#"$bin: "}"
