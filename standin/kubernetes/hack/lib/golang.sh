#!/usr/bin/env bash
# Stand-in for kubernetes hack/lib/golang.sh as of v1.30 and later (Go workspaces: the build
# runs in the tree itself, staging repositories compile from staging/src/k8s.io/<repo>).
# THIS IS NOT KUBERNETES: see README.md. Older layouts: standin/layouts/.
#
#   DBG=1      build with -gcflags "all=-N -l" (no optimizations, no
#              inlining) and without stripping (-s -w is not applied)
#   GOGCFLAGS  extra -gcflags
#   GOLDFLAGS  -ldflags; default "-s -w -buildid=" (unless DBG=1)
#
# GOFLAGS and GO111MODULE are never set here, and -trimpath is never used:
# debug builds keep absolute source paths.

source "${KUBE_ROOT}/hack/lib/standin-common.sh"

# kube::golang::build_packages PKGS...: builds with this release's flags into
# _output/local/bin/<goos>/<goarch>/ (kube::golang::build_binaries calls it).
kube::golang::build_packages() {

  local goldflags gogcflags
  if [[ "${DBG:-}" == 1 ]]; then
    # Debugging: disable optimizations and inlining; do not strip symbols
    # and DWARF (the default "-s -w" is not applied; GOLDFLAGS still is).
    goldflags="${GOLDFLAGS:-} $(kube::version::ldflags)"
    local extra="${GOGCFLAGS:-}"
    gogcflags="all=-N -l ${extra#all=}"
    gogcflags="${gogcflags% }"
  else
    # If GOLDFLAGS is unset, then set it to the default of "-s -w -buildid=".
    goldflags="${GOLDFLAGS=-s -w -buildid=} $(kube::version::ldflags)"
    gogcflags="${GOGCFLAGS:-}"
  fi
  (cd "${KUBE_ROOT}" && kube::golang::go_build "${gogcflags}" "" "${goldflags}" "$@")
}
