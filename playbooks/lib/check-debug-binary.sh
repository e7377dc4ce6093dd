#!/bin/sh
# Checks that a Go binary was built for debugging and prints the Go version that built it.
#   check-debug-binary.sh BINARY [COMPONENT [STYLE [SOURCE_DIR]]]
# COMPONENT, STYLE (auto, dbg or goflags) and SOURCE_DIR only shape the advice on how to rebuild.
# Go records its build flags in the binary (.go.buildinfo, what go version -m shows): a debug build
# has -N -l in its gcflags and no -s or -w (stripping) in its ldflags. Go older than 1.18 records no
# build flags: then the DWARF sections are checked, with a warning that optimisation cannot be seen
# (the one telling sign, DW_TAG_inlined_subroutine entries, needs a walk of all of .debug_info, and
# Go's abbreviation table lists that tag whether or not anything was inlined).
# The binary is read by go-binary-info.mjs (node, which runs kplay), so go is not needed here.
set -eu
bin=$1 component=${2:-COMPONENT} style=${3:-auto} src=${4:-}
here=$(dirname -- "$0")
[ -f "$bin" ] || { echo "$bin does not exist" >&2; exit 1; }
command -v node >/dev/null 2>&1 || { echo "node (which runs kplay) is not on PATH here, and it reads $bin: add its folder to PATH" >&2; exit 1; }
info=$(node "$here/go-binary-info.mjs" "$bin" 2>&1) || { echo "$bin is not a Go binary ($info)" >&2; exit 1; }
field() { printf '%s\n' "$info" | sed -n "s/^$1	//p"; }
version=$(field go)
[ -n "$version" ] || { echo "$bin is not a Go binary (it has no Go build information)" >&2; exit 1; }
settings=$(field build)

# The make command that gives a debug build in the tree's style: DBG=1 exists from v1.24 on, where
# it is the only switch that works; older trees make an optimised build with it and need GOGCFLAGS.
if [ "$style" = auto ]; then
  if [ -n "$src" ] && [ -f "$src/hack/lib/golang.sh" ]; then
    if grep -q DBG "$src/hack/lib/golang.sh"; then style=dbg; else style=goflags; fi
  else
    minor=$(printf '%s\n' "$settings" | sed -n "s/.*version\.gitVersion=v1\.\([0-9]*\)\..*/\1/p" | head -n 1)
    # No build settings at all means Go < 1.18, which no tree from v1.24 on builds with.
    if [ -z "$settings" ] || { [ -n "$minor" ] && [ "$minor" -lt 24 ]; }; then style=goflags
    elif [ -n "$minor" ]; then style=dbg
    fi
  fi
fi
case $style in
  dbg) advice="make WHAT=cmd/$component DBG=1" ;;
  goflags) advice="make WHAT=cmd/$component GOLDFLAGS=\"\" GOGCFLAGS=\"all=-N -l\"" ;;
  *) advice="make WHAT=cmd/$component DBG=1 (v1.24 and later) or make WHAT=cmd/$component GOLDFLAGS=\"\" GOGCFLAGS=\"all=-N -l\" (older trees)" ;;
esac

if [ "$(field dwarf)" = none ]; then
  echo "$bin is stripped (it has no .debug_info): Delve cannot read its debug information. Build it with $advice, or leave binary empty to let kplay build it" >&2
  exit 1
fi
if [ -z "$settings" ]; then
  echo "warning: $bin was built by $version, which records no build flags (Go older than 1.18): it has debug information ($(field dwarf)), but whether it was built without optimisation (-N -l) cannot be read. If breakpoints land on the wrong lines or variables show as optimised away, rebuild it with $advice" >&2
  echo "$version"
  exit 0
fi
if ! printf '%s\n' "$settings" | grep -Eq -- '^-gcflags=.*(-N -l|-l -N)'; then
  echo "$bin was built with optimisations, so breakpoints and variables will not work. Build it with $advice, or leave binary empty to let kplay build it" >&2
  exit 1
fi
if printf '%s\n' "$settings" | grep -Eq -- '^-ldflags=.*(^|[ "=])-[sw]([ "]|$)'; then
  echo "$bin is stripped (-s/-w in its ldflags): Delve cannot read its debug information. Build it with $advice" >&2
  exit 1
fi
echo "$version"
