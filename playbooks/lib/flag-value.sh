#!/bin/sh
# flag-value.sh NAME DEFAULT -- FLAG...
# Prints the value a Go program reads for the flag NAME (without dashes) from FLAG...: --NAME=VALUE,
# -NAME=VALUE or --NAME VALUE, the last one winning as with Go's flag packages; a bare --NAME
# followed by another flag (or nothing) is a boolean: "true". When the flag is absent it prints
# DEFAULT (nothing when DEFAULT is empty), so that a playbook can fall back to its own value.
name=$1
value=$2
shift 3
found=
while [ $# -gt 0 ]; do
  case $1 in
    "--$name="* | "-$name="*) value=${1#*=}; found=1 ;;
    "--$name" | "-$name")
      found=1
      case ${2-} in
        -* | '') value=true ;;
        *) value=$2; shift ;;
      esac
      ;;
  esac
  shift
done
if [ -n "$found" ] || [ -n "$value" ]; then printf '%s\n' "$value"; fi
exit 0
