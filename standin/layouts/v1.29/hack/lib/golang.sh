#!/usr/bin/env bash
# Stand-in for kubernetes hack/lib/golang.sh as of v1.29 (v1.24 to v1.29): the build runs in
# the GOPATH link _output/local/go/src/k8s.io/kubernetes and staging repositories compile from
# vendor/k8s.io/<repo>. DBG=1 drops the -trimpath of release builds, so the debug build's file
# names are absolute: <tree>/_output/local/go/src/k8s.io/kubernetes/... THIS IS NOT KUBERNETES.

source "${KUBE_ROOT}/hack/lib/standin-common.sh"

kube::golang::build_packages() {
  (
    kube::golang::setup_env
    local goldflags goasmflags gogcflags
    # The release trims the GOPATH link it builds in, not KUBE_ROOT.
    local trimroot
    trimroot=$(pwd)
    goasmflags="all=-trimpath=${trimroot}"
    gogcflags="all=-trimpath=${trimroot} ${GOGCFLAGS:-}"
    if [[ "${DBG:-}" == 1 ]]; then
      # Debug build: no optimisation, no inlining, and no trimming of file names.
      gogcflags="${GOGCFLAGS:-} all=-N -l"
      goasmflags=""
    fi
    goldflags="all=$(kube::version::ldflags) ${GOLDFLAGS:-}"
    if [[ "${DBG:-}" != 1 ]]; then
      # Release build: strip symbols and DWARF.
      goldflags="${goldflags} -s -w"
    fi
    kube::golang::go_build "${gogcflags}" "${goasmflags}" "${goldflags}" "$@"
  )
}
