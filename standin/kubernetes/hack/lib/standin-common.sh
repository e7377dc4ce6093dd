#!/usr/bin/env bash
# What every stand-in hack/lib/golang.sh shares (the layouts under standin/layouts/ replace
# golang.sh with the one of an older release and keep this). THIS IS NOT KUBERNETES: see README.md.

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

# kube::golang::targets [targets...]: the normalised targets (all five when none), checked.
kube::golang::targets() {
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
    echo "${KUBE_GO_PACKAGE}/${t}"
  done
}

# Used by the layouts before v1.30 (standin/layouts/), as kube::golang::setup_env of those
# releases: a GOPATH under _output whose src/k8s.io/kubernetes is a link to the tree, and the
# build runs in that link. The Go build cache stays the user's (the real script moves it under
# _output), so the tests do not rebuild the standard library for every tree.
readonly KUBE_GOPATH="${KUBE_OUTPUT_ROOT}/local/go"

kube::golang::setup_env() {
  local go_pkg_dir="${KUBE_GOPATH}/src/${KUBE_GO_PACKAGE}"
  mkdir -p "$(dirname "${go_pkg_dir}")"
  if [[ ! -e "${go_pkg_dir}" || "$(readlink "${go_pkg_dir}")" != "${KUBE_ROOT}" ]]; then
    ln -snf "${KUBE_ROOT}" "${go_pkg_dir}"
  fi
  export GOPATH="${KUBE_GOPATH}"
  local subdir
  subdir=$(pwd -P | sed "s|${KUBE_ROOT}||")
  cd "${KUBE_GOPATH}/src/${KUBE_GO_PACKAGE}/${subdir}" || return 1
}

# kube::golang::go_build GCFLAGS ASMFLAGS LDFLAGS PKGS...: go build (in the current folder,
# which each release's setup decides) into _output/local/bin/<goos>/<goarch>/ for every
# platform of KUBE_BUILD_PLATFORMS (default: the host platform). The real scripts go install
# into a GOPATH and copy the binaries out; where they land does not change what they record.
kube::golang::go_build() {
  local gcflags=$1 asmflags=$2 ldflags=$3
  shift 3
  local platforms platform p
  platforms="${KUBE_BUILD_PLATFORMS:-$(kube::golang::host_platform)}"
  for platform in ${platforms}; do
    local goos="${platform%/*}" goarch="${platform#*/}"
    local outdir="${KUBE_OUTPUT_BINPATH}/${goos}/${goarch}"
    kube::log::status "Building go targets for ${platform} in $(pwd)"
    for p in "$@"; do kube::log::info "    ${p} (non-static)"; done
    mkdir -p "${outdir}"
    GOOS="${goos}" GOARCH="${goarch}" go build \
      -buildvcs=false \
      -o "${outdir}/" \
      -gcflags "${gcflags}" \
      -asmflags "${asmflags}" \
      -ldflags "${ldflags}" \
      "$@" || return 1
  done
}

# kube::golang::build_binaries [targets...]: builds the targets (all five when none) with
# kube::golang::build_packages, which each release's golang.sh defines.
kube::golang::build_binaries() {
  local -a pkgs=()
  local p
  while read -r p; do pkgs+=("${p}"); done < <(kube::golang::targets "$@") || return 1
  [[ ${#pkgs[@]} -gt 0 ]] || return 1
  kube::golang::build_packages "${pkgs[@]}"
}

# kube::golang::place_bins: _output/bin -> the host platform's folder.
kube::golang::place_bins() {
  local host
  host="$(kube::golang::host_platform)"
  if [[ -d "${KUBE_OUTPUT_BINPATH}/${host}" ]]; then
    ln -sfn "local/bin/${host}" "${KUBE_OUTPUT_ROOT}/bin"
  fi
}
