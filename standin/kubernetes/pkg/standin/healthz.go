// Package standin holds the code shared by the stand-in Kubernetes components.
//
// THIS IS NOT KUBERNETES. These are small stand-in programs used by kplay's
// tests in place of the real control-plane components.
package standin

import (
	"io"
	"net/http"

	"k8s.io/apiserver/pkg/server/healthz"
)

// Healthz answers every health path (/healthz, /livez, /readyz) of every
// stand-in component with "ok". Tests grep this file for the breakpoint
// marker below, set a Delve breakpoint on that line, send a request and
// expect the process to stop there.
//
//go:noinline
func Healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	body := healthz.Answer() // kplay-e2e: breakpoint
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, body)
}

// RegisterHealthz routes the given paths to Healthz.
func RegisterHealthz(mux *http.ServeMux, paths ...string) {
	for _, p := range paths {
		mux.HandleFunc(p, Healthz)
	}
}
