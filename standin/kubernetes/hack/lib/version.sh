#!/usr/bin/env bash
# Stand-in for kubernetes hack/lib/version.sh. THIS IS NOT KUBERNETES.

# Version reported by --version of the stand-in components.
KUBE_GIT_VERSION="${KUBE_GIT_VERSION:-v0.0.0-standin}"

# kube::version::ldflags prints the -X flags that stamp the version.
kube::version::ldflags() {
  echo "-X 'k8s.io/kubernetes/pkg/standin.gitVersion=${KUBE_GIT_VERSION}'"
}
