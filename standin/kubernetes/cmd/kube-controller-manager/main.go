// Command kube-controller-manager is a STAND-IN for the Kubernetes controller
// manager, used by kplay's tests. It is NOT Kubernetes: it accepts the flags
// kubeadm passes to the real kube-controller-manager, serves the health
// endpoints over HTTPS with an in-memory self-signed certificate, and
// imitates losing its leader lease when paused for longer than the lease
// duration. It runs no controllers.
package main

import (
	"net/http"
	"os"
	"time"

	"k8s.io/kubernetes/pkg/standin"
)

func main() {
	c := standin.NewComponent("kube-controller-manager")
	fs := c.Flags
	str := func(name, def string) *string { return fs.String(name, def, name) }

	fs.Bool("allocate-node-cidrs", false, "allocate-node-cidrs")
	authn := str("authentication-kubeconfig", "")
	authz := str("authorization-kubeconfig", "")
	bind := str("bind-address", "0.0.0.0")
	clientCA := str("client-ca-file", "")
	str("cluster-cidr", "")
	str("cluster-name", "kubernetes")
	signingCert := str("cluster-signing-cert-file", "")
	signingKey := str("cluster-signing-key-file", "")
	str("controllers", "*")
	kubeconfig := str("kubeconfig", "")
	leaderElect := fs.Bool("leader-elect", true, "leader-elect")
	lease := fs.Duration("leader-elect-lease-duration", 15*time.Second, "leader-elect-lease-duration")
	reqCA := str("requestheader-client-ca-file", "")
	rootCA := str("root-ca-file", "")
	saKey := str("service-account-private-key-file", "")
	str("service-cluster-ip-range", "")
	fs.Bool("use-service-account-credentials", false, "use-service-account-credentials")
	port := fs.Int("secure-port", 10257, "secure-port")

	c.Parse(os.Args[1:])

	if *kubeconfig == "" {
		c.Fatalf("--kubeconfig is required by this stand-in")
	}
	c.MustRead(*kubeconfig, *authn, *authz, *clientCA, *signingCert, *signingKey, *reqCA, *rootCA, *saKey)
	if *leaderElect {
		c.WatchLease(*lease)
	}

	mux := http.NewServeMux()
	standin.RegisterHealthz(mux, "/healthz", "/livez", "/readyz")
	c.Serve(standin.SignalContext(), standin.HostPort(*bind, *port), c.SelfSignedCert(*bind), mux)
}
