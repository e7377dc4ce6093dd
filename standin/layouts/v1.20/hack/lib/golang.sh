#!/usr/bin/env bash
# Stand-in for kubernetes hack/lib/golang.sh as of v1.20 (the same through v1.23): the build
# runs in the GOPATH link _output/local/go/src/k8s.io/kubernetes, staging repositories compile
# from vendor/k8s.io/<repo>, and every compile gets -trimpath=KUBE_ROOT, so the debug build's
# file names are relative: _output/local/go/src/k8s.io/kubernetes/... THIS IS NOT KUBERNETES.
#
# Debug builds: make WHAT=cmd/X GOLDFLAGS="" GOGCFLAGS="all=-N -l" (GOLDFLAGS uses "=", so an
# empty value turns the default stripping off). This release has no debug switch of its own.

source "${KUBE_ROOT}/hack/lib/standin-common.sh"

kube::golang::build_packages() {
  (
    kube::golang::setup_env
    local goldflags goasmflags gogcflags
    # An unset GOLDFLAGS strips (-s -w); an empty one, as debug builds pass, does not.
    goldflags="${GOLDFLAGS=-s -w -buildid=} $(kube::version::ldflags)"
    goasmflags="-trimpath=${KUBE_ROOT}"
    gogcflags="${GOGCFLAGS:-} -trimpath=${KUBE_ROOT}"
    kube::golang::go_build "${gogcflags}" "${goasmflags}" "${goldflags}" "$@"
  )
}
