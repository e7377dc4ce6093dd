// Package healthz stands in for k8s.io/apiserver/pkg/server/healthz, a package of a staging
// repository: code that lives in the tree under staging/src/k8s.io/apiserver and that builds
// before v1.30 compile from vendor/k8s.io/apiserver instead. THIS IS NOT KUBERNETES.
package healthz

// Answer is the body of every health answer of the stand-in components. Tests set a Delve
// breakpoint on the marked line through the IDE settings kplay writes, to check that files
// of staging repositories map to where the binary knows them.
//
//go:noinline
func Answer() string {
	answer := "ok" // kplay-e2e: staging breakpoint
	return answer
}
