// Command kube-apiserver is a STAND-IN for the Kubernetes API server, used by
// kplay's tests. It is NOT Kubernetes: it accepts the flags kubeadm passes to
// the real kube-apiserver, loads its serving certificate and serves the
// health endpoints (/livez, /readyz, /healthz) over HTTPS, nothing else.
package main

import (
	"net/http"
	"os"

	"k8s.io/kubernetes/pkg/standin"
)

func main() {
	c := standin.NewComponent("kube-apiserver")
	fs := c.Flags
	str := func(name, def string) *string { return fs.String(name, def, name) }

	str("advertise-address", "")
	fs.Bool("allow-privileged", false, "allow-privileged")
	str("authorization-mode", "AlwaysAllow")
	clientCA := str("client-ca-file", "")
	str("enable-admission-plugins", "")
	fs.Bool("enable-bootstrap-token-auth", false, "enable-bootstrap-token-auth")
	// No etcd here: the --etcd-* flags are accepted and their files must
	// exist, but the stand-in never connects to etcd.
	etcdCA := str("etcd-cafile", "")
	etcdCert := str("etcd-certfile", "")
	etcdKey := str("etcd-keyfile", "")
	str("etcd-servers", "")
	kubeletCert := str("kubelet-client-certificate", "")
	kubeletKey := str("kubelet-client-key", "")
	str("kubelet-preferred-address-types", "")
	proxyCert := str("proxy-client-cert-file", "")
	proxyKey := str("proxy-client-key-file", "")
	str("requestheader-allowed-names", "")
	reqCA := str("requestheader-client-ca-file", "")
	str("requestheader-extra-headers-prefix", "")
	str("requestheader-group-headers", "")
	str("requestheader-username-headers", "")
	port := fs.Int("secure-port", 6443, "secure-port")
	str("service-account-issuer", "")
	saKey := str("service-account-key-file", "")
	saSigningKey := str("service-account-signing-key-file", "")
	str("service-cluster-ip-range", "")
	tlsCert := str("tls-cert-file", "")
	tlsKey := str("tls-private-key-file", "")
	bind := str("bind-address", "0.0.0.0")

	c.Parse(os.Args[1:])

	// Files the real API server reads at start.
	c.MustRead(*clientCA, *etcdCA, *etcdCert, *etcdKey, *kubeletCert, *kubeletKey,
		*proxyCert, *proxyKey, *reqCA, *saKey, *saSigningKey)
	cert := c.LoadKeyPair(*tlsCert, *tlsKey)

	mux := http.NewServeMux()
	standin.RegisterHealthz(mux, "/livez", "/readyz", "/healthz")
	c.Serve(standin.SignalContext(), standin.HostPort(*bind, *port), cert, mux)
}
