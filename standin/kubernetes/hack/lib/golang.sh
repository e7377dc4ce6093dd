#!/usr/bin/env bash
# Stand-in for kubernetes hack/lib/golang.sh (v1.24+ semantics of DBG,
# GOGCFLAGS and GOLDFLAGS). THIS IS NOT KUBERNETES: see README.md.
#
#   DBG=1      build with -gcflags "all=-N -l" (no optimizations, no
#              inlining) and without stripping (-s -w is not applied)
#   GOGCFLAGS  extra -gcflags
#   GOLDFLAGS  -ldflags; default "-s -w -buildid=" (unless DBG=1)
#
# GOFLAGS and GO111MODULE are never set here, and -trimpath is never used:
# debug builds keep absolute source paths.

readonly KUBE_GO_PACKAGE=k8s.io/kubernetes
readonly KUBE_OUTPUT_ROOT="${KUBE_ROOT}/_output"
readonly KUBE_OUTPUT_BINPATH="${KUBE_OUTPUT_ROOT}/local/bin"

# The stand-in components (all built by a plain "make").
readonly KUBE_ALL_TARGETS=(
  cmd/kube-apiserver
  cmd/kube-controller-manager
  cmd/kube-scheduler
  cmd/kube-proxy
  cmd/kubelet
)

kube::log::status() {
  echo "+++ [$(date +'%m%d %H:%M:%S')] $*"
}

kube::log::info() {
  echo "$*"
}

kube::log::error() {
  echo "!!! [$(date +'%m%d %H:%M:%S')] $*" >&2
}

kube::golang::host_platform() {
  echo "$(go env GOHOSTOS)/$(go env GOHOSTARCH)"
}

# kube::golang::normalize_target cmd/x | ./cmd/x/ | k8s.io/kubernetes/cmd/x -> cmd/x
kube::golang::normalize_target() {
  local t="${1#"${KUBE_GO_PACKAGE}"/}"
  t="${t#./}"
  t="${t%/}"
  echo "${t}"
}

# kube::golang::build_binaries [targets...]: builds into
# _output/local/bin/<goos>/<goarch>/ for every platform of
# KUBE_BUILD_PLATFORMS (default: the host platform).
kube::golang::build_binaries() {
  local -a targets=()
  local arg t
  for arg in "$@"; do
    for t in ${arg}; do
      targets+=("$(kube::golang::normalize_target "${t}")")
    done
  done
  if [[ ${#targets[@]} -eq 0 ]]; then
    targets=("${KUBE_ALL_TARGETS[@]}")
  fi
  for t in "${targets[@]}"; do
    if [[ ! -f "${KUBE_ROOT}/${t}/main.go" ]]; then
      kube::log::error "unknown build target: ${t} (no ${t}/main.go)"
      return 1
    fi
  done

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

  local platforms platform
  platforms="${KUBE_BUILD_PLATFORMS:-$(kube::golang::host_platform)}"
  for platform in ${platforms}; do
    local goos="${platform%/*}" goarch="${platform#*/}"
    local outdir="${KUBE_OUTPUT_BINPATH}/${goos}/${goarch}"
    kube::log::status "Building go targets for ${platform}"
    local -a pkgs=()
    for t in "${targets[@]}"; do
      kube::log::info "    ${KUBE_GO_PACKAGE}/${t} (non-static)"
      pkgs+=("${KUBE_GO_PACKAGE}/${t}")
    done
    mkdir -p "${outdir}"
    (
      cd "${KUBE_ROOT}"
      GOOS="${goos}" GOARCH="${goarch}" go build \
        -buildvcs=false \
        -o "${outdir}/" \
        -gcflags "${gogcflags}" \
        -ldflags "${goldflags}" \
        "${pkgs[@]}"
    )
  done
}

# kube::golang::place_bins: _output/bin -> the host platform's folder.
kube::golang::place_bins() {
  local host
  host="$(kube::golang::host_platform)"
  if [[ -d "${KUBE_OUTPUT_BINPATH}/${host}" ]]; then
    ln -sfn "local/bin/${host}" "${KUBE_OUTPUT_ROOT}/bin"
  fi
}
