#!/usr/bin/env bash
# The real Kubernetes tree for the tests: Debian's `kubernetes` source (fetched by
# scripts/install-test-deps.sh), unpacked once and built on demand, everything cached outside the
# checkout so only a fresh machine pays for it. test/support/k8s-tree.ts drives it.
#   k8s-tree.sh tree                  prints the unpacked tree's path (unpacks it first if needed)
#   k8s-tree.sh release COMPONENT...  prints the cached release binaries' paths, one a line,
#                                     building the missing ones (progress on stderr)
# Layout under $KPLAY_TEST_CACHE (default /var/cache/kplay-test):
#   src/                         Debian's .dsc, orig and debian tarballs
#   tree/VERSION/kubernetes/     the orig tree, reflect2 replaced; .kplay-ready when complete
#   bin/VERSION/release/NAME     stripped release builds; builds.log has a line per build
#   tree/VERSION/kubernetes/_output/local/go/cache/   Go's build cache: the 1.20 tree's golang.sh
#                                sets GOCACHE there itself, for release and debug builds alike, so
#                                it is kept with the tree (and `rm -rf _output` makes builds cold)
#   tree/VERSION.lock            flock held while unpacking or running make in the tree
# Every step works in a temporary name and renames into place when complete, so an interrupted
# unpack or build is redone next time rather than taken for finished.
set -euo pipefail
CACHE=${KPLAY_TEST_CACHE:-/var/cache/kplay-test}
# KPLAY_TEST_REFLECT2 exists for the tests of this script, which run on a small fake tree.
REFLECT2=${KPLAY_TEST_REFLECT2:-/usr/share/gocode/src/github.com/modern-go/reflect2}
PLATFORM=linux/amd64

fail() { echo "k8s-tree: $*" >&2; exit 1; }

orig=$(ls "$CACHE"/src/kubernetes_*.orig.tar.gz 2>/dev/null | head -n 1) || true
[ -n "$orig" ] || fail "no Debian kubernetes source in $CACHE/src: run scripts/install-test-deps.sh as root"
version=${orig##*/kubernetes_}
version=${version%.orig.tar.gz}
tree_dir=$CACHE/tree/$version
tree=$tree_dir/kubernetes
bin_dir=$CACHE/bin/$version/release
mkdir -p "$tree_dir" "$bin_dir"
# Taken only when there is work to do, and what was missing is checked again once it is held: a
# second process asking for the same build waits, then finds it made.
locked=
lock() {
  [ -n "$locked" ] && return 0
  exec 9>"$tree_dir.lock"
  flock 9
  locked=1
}

# The orig tarball, with vendor/github.com/modern-go/reflect2 replaced by Debian's 1.0.2 as a
# distribution patch would: the vendored 1.0.1 reads runtime internals that Go 1.18 changed, and
# kubeadm's kubeconfig phase then panics inside json-iterator. go.mod and vendor/modules.txt still
# name 1.0.1; Go checks that they agree with each other, not the vendored files' content.
unpack() {
  [ -f "$tree/.kplay-ready" ] && return 0
  lock
  [ -f "$tree/.kplay-ready" ] && return 0
  [ -d "$REFLECT2" ] || fail "$REFLECT2 is missing: run scripts/install-test-deps.sh as root (golang-github-modern-go-reflect2-dev)"
  echo "k8s-tree: unpacking $orig into $tree" >&2
  rm -rf "$tree" "$tree.partial"
  mkdir -p "$tree.partial"
  tar -xzf "$orig" -C "$tree.partial" --strip-components=1
  rm -rf "$tree.partial/vendor/github.com/modern-go/reflect2"
  cp -r "$REFLECT2" "$tree.partial/vendor/github.com/modern-go/reflect2"
  rm -f "$tree.partial/vendor/github.com/modern-go/reflect2/go.mod"
  mv "$tree.partial" "$tree"
  touch "$tree/.kplay-ready"
}

# A first make that fails half-way (rsync missing, interrupted) can leave an empty or
# non-executable code generator in _output/bin, which make takes as built: every later make then
# fails with "Permission denied". Such files are removed and make runs once more.
bad_generators() { find -L _output/bin -maxdepth 1 -type f \( -empty -o ! -perm -u+x \) 2>/dev/null; }
make_with_recovery() {
  local bad
  env -u GOLDFLAGS -u GOGCFLAGS -u DBG "$@" && return 0
  bad=$(bad_generators)
  [ -n "$bad" ] || fail "make failed in $tree (see above); if it keeps failing, remove $tree_dir to unpack afresh"
  echo "k8s-tree: removing broken generators left by the failed make ($(echo $bad)), then trying once more" >&2
  rm -f $bad
  env -u GOLDFLAGS -u GOGCFLAGS -u DBG "$@"
}

missing_of() {
  missing=()
  local c
  for c in "$@"; do
    [ -d "$tree/cmd/$c" ] || fail "$tree has no cmd/$c"
    [ -x "$bin_dir/$c" ] || missing+=("$c")
  done
}

# The tree's own release build: hack/lib/golang.sh defaults GOLDFLAGS to "-s -w -buildid=", so
# an unset GOLDFLAGS gives the stripped binaries real clusters run. Whatever the caller's
# environment says about debug flags is dropped. The binaries are copied out of _output, where
# a later debug build of the same tree (build-debug.sh) writes its own.
release() {
  local missing c
  missing_of "$@"
  [ ${#missing[@]} -gt 0 ] && { lock; missing_of "$@"; }
  if [ ${#missing[@]} -gt 0 ]; then
    local what=() start
    for c in "${missing[@]}"; do what+=("cmd/$c"); done
    echo "k8s-tree: building ${missing[*]} (release, $PLATFORM) in $tree; cold, this takes minutes" >&2
    start=$(date +%s)
    (cd "$tree" && make_with_recovery make WHAT="${what[*]}" KUBE_BUILD_PLATFORMS="$PLATFORM") >&2
    for c in "${missing[@]}"; do
      [ -x "$tree/_output/local/bin/$PLATFORM/$c" ] || fail "make finished but _output/local/bin/$PLATFORM/$c is missing"
      cp "$tree/_output/local/bin/$PLATFORM/$c" "$bin_dir/.$c.partial"
      mv "$bin_dir/.$c.partial" "$bin_dir/$c"
      echo "$c $(date -u +%FT%TZ) $(($(date +%s) - start))s" >>"$bin_dir/builds.log"
    done
  fi
  for c in "$@"; do echo "$bin_dir/$c"; done
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
  tree) unpack; echo "$tree" ;;
  release) [ $# -gt 0 ] || fail "release needs component names"; unpack; release "$@" ;;
  *) fail "usage: k8s-tree.sh tree | release COMPONENT..." ;;
esac
