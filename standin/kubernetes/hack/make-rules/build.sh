#!/usr/bin/env bash
# Stand-in for kubernetes hack/make-rules/build.sh: builds Go binaries into
# _output/local/bin/<goos>/<goarch>/. THIS IS NOT KUBERNETES: see README.md.
#
# Usage: hack/make-rules/build.sh [cmd/kube-apiserver ...]

set -o errexit
set -o nounset
set -o pipefail

KUBE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
source "${KUBE_ROOT}/hack/lib/version.sh"
source "${KUBE_ROOT}/hack/lib/golang.sh"

kube::golang::build_binaries "$@"
kube::golang::place_bins
