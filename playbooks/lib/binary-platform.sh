#!/bin/sh
# Refuses a binary that the node cannot run: its ELF machine must be the node's architecture,
# or the launch would fail with "exec format error" after the component was stopped.
#   binary-platform.sh FILE NODE_PLATFORM WHAT
# NODE_PLATFORM as node-platform.yaml registers it (linux/arm64); WHAT names the file in messages
# (the debug build, dlv_upload) and the variable to change.
set -eu
file=$1 platform=$2 what=$3
arch=$(node "$(dirname -- "$0")/go-binary-info.mjs" "$file" arch 2>&1) || { echo "$what ($file) is not a program for Linux: $arch" >&2; exit 1; }
if [ "linux/$arch" != "$platform" ]; then
  echo "$what ($file) is built for linux/$arch, but the node is $platform, where it would fail with exec format error: use one built for $platform" >&2
  exit 1
fi
echo "linux/$arch"
