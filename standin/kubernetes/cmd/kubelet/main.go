// Command kubelet is a STAND-IN for the Kubernetes node agent, used by
// kplay's tests. It is NOT Kubernetes: it accepts the flags kubeadm passes to
// the real kubelet, reads its KubeletConfiguration, serves /healthz over
// HTTP, and runs static pods and DaemonSet pods as plain host processes
// (see pkg/standin/pods). There are no containers, images or API server.
package main

import (
	"net/http"
	"os"
	"strconv"

	"k8s.io/kubernetes/pkg/standin"
	"k8s.io/kubernetes/pkg/standin/pods"
)

func main() {
	c := standin.NewComponent("kubelet")
	fs := c.Flags
	config := fs.String("config", "", "config")
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig")
	fs.String("bootstrap-kubeconfig", "", "bootstrap-kubeconfig")
	fs.String("container-runtime-endpoint", "", "container-runtime-endpoint")
	fs.String("pod-infra-container-image", "", "pod-infra-container-image")
	fs.String("node-ip", "", "node-ip")
	hostname := fs.String("hostname-override", "", "hostname-override")
	podManifestPath := fs.String("pod-manifest-path", "", "pod-manifest-path")
	fs.String("cgroup-driver", "", "cgroup-driver")
	// kubeadm 1.20's kubeadm-flags.env (dockershim era) passes these as well.
	fs.String("network-plugin", "", "network-plugin")
	fs.String("container-runtime", "", "container-runtime")

	c.Parse(os.Args[1:])

	staticPodPath := "/etc/kubernetes/manifests"
	healthzAddr := "127.0.0.1"
	healthzPort := 10248
	if *config != "" {
		lines, err := standin.ReadConfigLines(*config)
		if err != nil {
			c.Fatalf("failed to load kubelet config file %q: %v", *config, err)
		}
		if v, ok := standin.TopLevel(lines, "staticPodPath"); ok {
			staticPodPath = v
		}
		if v, ok := standin.TopLevel(lines, "healthzBindAddress"); ok && v != "" {
			healthzAddr = v
		}
		if v, ok := standin.TopLevel(lines, "healthzPort"); ok && v != "" {
			p, err := strconv.Atoi(v)
			if err != nil {
				c.Fatalf("invalid healthzPort %q in %s", v, *config)
			}
			healthzPort = p
		}
	}
	if *podManifestPath != "" {
		staticPodPath = *podManifestPath
	}
	// The real kubelet falls back to the bootstrap kubeconfig when the
	// kubeconfig does not exist yet; the stand-in does not talk to an API
	// server, so neither file is required.
	_ = kubeconfig

	nodeName := *hostname
	if nodeName == "" {
		h, err := os.Hostname()
		if err != nil {
			c.Fatalf("could not determine hostname: %v", err)
		}
		nodeName = h
	}

	ctx := standin.SignalContext()
	runner := pods.NewRunner(nodeName, staticPodPath)
	go runner.Run(ctx)

	mux := http.NewServeMux()
	standin.RegisterHealthz(mux, "/healthz")
	c.Serve(ctx, standin.HostPort(healthzAddr, healthzPort), nil, mux)
}
