#!/bin/sh
# Compares the versions around a debug session, after the flags are captured and before anything
# is stopped (version-skew.yaml gathers them):
#   version-skew.sh COMPONENT RUNNING BUILD [APISERVER]
# each version as its --version prints it ("Kubernetes v1.20.2"), "unknown" or empty when it could
# not be read. A different minor between the running component and the build is a warning (the
# flags were checked separately); a kubelet newer than its apiserver is refused, as Kubernetes'
# version skew policy does not allow it.
set -eu
component=$1 running=$2 build=$3 apiserver=${4:-}
ver() { printf '%s\n' "$1" | sed -n 's/.*v\([0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*[^ ]*\).*/\1/p' | head -n 1; }
minor() { printf '%s\n' "$1" | cut -d. -f1,2; }
r=$(ver "$running") b=$(ver "$build") a=$(ver "$apiserver")
if [ -z "$b" ]; then
  echo "warning: the debug build's version could not be read, so it is not compared with the running $component${r:+ (v$r)}" >&2
elif [ -z "$r" ]; then
  echo "warning: the running $component's version could not be read (its /proc/PID/exe --version), so the build (v$b) is not compared with it" >&2
elif [ "$(minor "$r")" != "$(minor "$b")" ]; then
  echo "warning: the running $component is v$r and the debug build is v$b: a different minor version can behave differently from what runs in the cluster (build from the tree of v$(minor "$r") to debug exactly that)" >&2
fi
if [ "$component" = kubelet ] && [ -n "$b" ] && [ -n "$a" ]; then
  bm=$(minor "$b") am=$(minor "$a")
  if [ "${bm#*.}" -gt "${am#*.}" ] || [ "${bm%%.*}" -gt "${am%%.*}" ]; then
    echo "the debug kubelet is v$b, newer than the apiserver (v$a): Kubernetes does not support a kubelet newer than its apiserver. Build the kubelet from a tree of v$am or older" >&2
    exit 1
  fi
elif [ "$component" = kubelet ] && [ -n "$b" ]; then
  echo "warning: the apiserver's version could not be read with the kubelet's credentials, so the debug kubelet (v$b) is not checked against it" >&2
fi
echo "running ${r:+v}${r:-unknown}, build ${b:+v}${b:-unknown}${a:+, apiserver v$a}"
