// Command kube-proxy is a STAND-IN for the Kubernetes network proxy, used by
// kplay's tests. It is NOT Kubernetes: it accepts the flags the kube-proxy
// DaemonSet passes, reads the KubeProxyConfiguration file and the kubeconfig
// it names (and the token file that kubeconfig names), and serves /healthz
// and /livez over HTTP on healthzBindAddress. It programs no rules.
package main

import (
	"bufio"
	"net/http"
	"os"
	"strings"

	"k8s.io/kubernetes/pkg/standin"
)

func main() {
	c := standin.NewComponent("kube-proxy")
	fs := c.Flags
	config := fs.String("config", "", "The path to the configuration file.")
	hostname := fs.String("hostname-override", "", "hostname-override")
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig")

	c.Parse(os.Args[1:])

	if strings.Contains(*hostname, "$(") {
		c.Fatalf("--hostname-override=%q contains an unexpanded $(...) reference; the real kube-proxy would register a node with that literal name", *hostname)
	}
	if *config == "" {
		c.Fatalf("--config is required by this stand-in")
	}
	lines, err := standin.ReadConfigLines(*config)
	if err != nil {
		c.Fatalf("failed to load config file %q: %v", *config, err)
	}
	healthz := "0.0.0.0:10256"
	if v, ok := standin.TopLevel(lines, "healthzBindAddress"); ok && v != "" {
		healthz = v
	}
	kc, _ := standin.Nested(lines, "clientConnection", "kubeconfig")
	if *kubeconfig != "" {
		kc = *kubeconfig
	}
	if kc == "" {
		c.Fatalf("no kubeconfig given (--kubeconfig or clientConnection.kubeconfig)")
	}
	if tokenFile, err := readKubeconfig(kc); err != nil {
		c.Fatalf("unable to load kubeconfig: %v", err)
	} else if tokenFile != "" {
		if f, err := os.Open(tokenFile); err != nil {
			c.Fatalf("unable to load in-cluster configuration, kubeconfig %s names tokenFile: %v", kc, err)
		} else {
			f.Close()
		}
	}

	mux := http.NewServeMux()
	standin.RegisterHealthz(mux, "/healthz", "/livez")
	c.Serve(standin.SignalContext(), healthz, nil, mux)
}

// readKubeconfig reads the kubeconfig and returns the path of a
// "tokenFile: PATH" line, if any.
func readKubeconfig(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		line = strings.TrimPrefix(line, "- ")
		if strings.HasPrefix(line, "tokenFile:") {
			return standin.Unquote(strings.TrimSpace(strings.TrimPrefix(line, "tokenFile:"))), nil
		}
	}
	return "", sc.Err()
}
