// Command kube-scheduler is a STAND-IN for the Kubernetes scheduler, used by
// kplay's tests. It is NOT Kubernetes: it accepts the flags kubeadm passes to
// the real kube-scheduler, serves the health endpoints over HTTPS with an
// in-memory self-signed certificate, and imitates losing its leader lease
// when paused for longer than the lease duration. It schedules nothing.
package main

import (
	"net/http"
	"os"
	"time"

	"k8s.io/kubernetes/pkg/standin"
)

func main() {
	c := standin.NewComponent("kube-scheduler")
	fs := c.Flags
	authn := fs.String("authentication-kubeconfig", "", "authentication-kubeconfig")
	authz := fs.String("authorization-kubeconfig", "", "authorization-kubeconfig")
	bind := fs.String("bind-address", "0.0.0.0", "bind-address")
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig")
	leaderElect := fs.Bool("leader-elect", true, "leader-elect")
	lease := fs.Duration("leader-elect-lease-duration", 15*time.Second, "leader-elect-lease-duration")
	port := fs.Int("secure-port", 10259, "secure-port")

	c.Parse(os.Args[1:])

	if *kubeconfig == "" {
		c.Fatalf("--kubeconfig is required by this stand-in")
	}
	c.MustRead(*kubeconfig, *authn, *authz)
	if *leaderElect {
		c.WatchLease(*lease)
	}

	mux := http.NewServeMux()
	standin.RegisterHealthz(mux, "/healthz", "/livez", "/readyz")
	c.Serve(standin.SignalContext(), standin.HostPort(*bind, *port), c.SelfSignedCert(*bind), mux)
}
