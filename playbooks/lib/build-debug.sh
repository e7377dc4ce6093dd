#!/bin/sh
# Builds one Kubernetes component with debug information (no optimisation, not stripped) and
# prints the binary's absolute path as the last line of stdout; make's progress goes to stderr.
# Used by build-component.yaml on a build host and by the debug playbooks on the controller.
#   build-debug.sh SOURCE_DIR COMPONENT STYLE PLATFORM
# STYLE: auto, dbg (make DBG=1: v1.24 and later, the only switch that works there) or goflags
# (GOLDFLAGS="" GOGCFLAGS="all=-N -l": older trees, whose golang.sh uses ${GOLDFLAGS=-s -w}).
set -eu
src=$1 component=$2 style=$3 platform=$4
cd -- "$src" 2>/dev/null || { echo "source_dir $src does not exist on $(hostname)" >&2; exit 1; }
if [ ! -f hack/lib/golang.sh ] || [ ! -d "cmd/$component" ]; then
  echo "$(pwd -P) is not a Kubernetes source tree with cmd/$component: set source_dir to your checkout, or binary to an existing debug build" >&2
  exit 1
fi
if [ "$style" = auto ]; then
  if grep -q DBG hack/lib/golang.sh; then style=dbg; else style=goflags; fi
fi
case $style in
  dbg|goflags) ;;
  *) echo "build_style must be auto, dbg or goflags, not $style" >&2; exit 1 ;;
esac
echo "building cmd/$component for $platform in $(pwd -P) (style $style); a debug build takes minutes and several GiB of memory" >&2
# GO111MODULE and GOFLAGS are left as they are: the tree's scripts set what they need.
# The kubelet is the one component the tree links with cgo by default; KUBE_STATIC_OVERRIDES makes it
# static (CGO_ENABLED=0), so a cross build needs no cross C compiler and the binary does not depend
# on the builder's glibc, which may be newer than the node's. The other components are static already.
# Only then is it passed, so a KUBE_STATIC_OVERRIDES of the caller's environment applies otherwise.
static=""
[ "$component" = kubelet ] && static="KUBE_STATIC_OVERRIDES=kubelet"
run_make() {
  if [ "$style" = dbg ]; then
    make WHAT="cmd/$component" DBG=1 KUBE_BUILD_PLATFORMS="$platform" $static >&2
  else
    make WHAT="cmd/$component" GOLDFLAGS="" GOGCFLAGS="all=-N -l" KUBE_BUILD_PLATFORMS="$platform" $static >&2
  fi
}
# A first build that failed half-way (rsync missing, interrupted) can leave an empty or
# non-executable code generator in _output/bin (prerelease-lifecycle-gen, deepcopy-gen...):
# make takes it as built, and every later make fails with "Permission denied". Those files are
# removed, so make builds them again, and make runs once more.
if ! run_make; then
  bad=$(find -L _output/bin -maxdepth 1 -type f \( -empty -o ! -perm -u+x \) 2>/dev/null | sort)
  if [ -z "$bad" ]; then
    echo "make failed in $(pwd -P) (see above)" >&2
    exit 1
  fi
  echo "make failed on code generators an earlier failed build left empty or not executable:" $bad "- removing them and building once more" >&2
  # shellcheck disable=SC2086 # generator paths have no spaces: _output/bin/NAME
  rm -f -- $bad
  run_make || { echo "make failed again in $(pwd -P): remove its _output folder (rm -rf _output) and build again" >&2; exit 1; }
fi
bin="$(pwd -P)/_output/local/bin/$platform/$component"
[ -x "$bin" ] || { echo "the build finished but $bin is missing" >&2; exit 1; }
echo "$bin"
