#!/bin/sh
# Prints the VS Code substitutePath rules that map a checkout to a debug binary's own source
# file names (read from its DWARF by the Go program in ide-paths/), as a JSON array.
#   ide-paths.sh BINARY COMPONENT CHECKOUT
# Without go on this machine it prints nothing (the launch configuration then falls back to one
# rule, the checkout -> the tree's build path) and says so on stderr.
set -eu
bin=$1 component=$2 checkout=$3
if ! command -v go >/dev/null 2>&1; then
  echo "go is not installed here, so the IDE's path mapping is not read from $bin: breakpoints bind only if it was built from a v1.30+ tree at the build path" >&2
  exit 0
fi
case $bin in /*) ;; *) bin=$(pwd -P)/$bin ;; esac
checkout=$(cd -- "$checkout" 2>/dev/null && pwd -P) || { echo "ide_dir $3 does not exist: set it to your checkout" >&2; exit 1; }
# The reader is a module of its own: no workspace, vendor folder or GOFLAGS of the user's.
cd -- "$(dirname -- "$0")/ide-paths"
GOWORK=off GOFLAGS= GO111MODULE=on GOTOOLCHAIN=local GOPROXY=off go run . "$bin" "$component" "$checkout" ||
  { echo "(write_ide=false debugs without the IDE settings)" >&2; exit 1; }
