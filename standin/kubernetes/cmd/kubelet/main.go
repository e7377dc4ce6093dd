// Command kubelet is a STAND-IN for the Kubernetes node agent, used by
// kplay's tests. It is NOT Kubernetes: it accepts the flags kubeadm passes to
// the real kubelet, reads its KubeletConfiguration, serves /healthz over
// HTTP, and runs static pods and DaemonSet pods as plain host processes
// (see pkg/standin/pods). There are no containers or images. The DaemonSet
// pods come from the stand-in cluster file, or, without one, from a real API
// server through the real kubectl with --kubeconfig (pkg/standin/pods/api.go).
package main

import (
	"net/http"
	"os"
	"strconv"
	"time"

	"k8s.io/kubernetes/pkg/standin"
	"k8s.io/kubernetes/pkg/standin/pods"
)

// apiPollInterval is how often the kubelet reads its pods from the API (API mode).
const apiPollInterval = 3 * time.Second

func main() {
	c := standin.NewComponent("kubelet")
	fs := c.Flags
	config := fs.String("config", "", "config")
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig")
	fs.String("bootstrap-kubeconfig", "", "bootstrap-kubeconfig")
	fs.String("container-runtime-endpoint", "", "container-runtime-endpoint")
	fs.String("pod-infra-container-image", "", "pod-infra-container-image")
	nodeIP := fs.String("node-ip", "", "node-ip")
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

	nodeName := *hostname
	if nodeName == "" {
		h, err := os.Hostname()
		if err != nil {
			c.Fatalf("could not determine hostname: %v", err)
		}
		nodeName = h
	}

	ctx := standin.SignalContext()
	// STAND-IN: the real kubelet falls back to the bootstrap kubeconfig when
	// the kubeconfig does not exist yet; the stand-in needs neither file, and
	// uses the API only once the kubeconfig exists (see api.go).
	var api *pods.API
	if *kubeconfig != "" {
		api = pods.NewAPI(nodeInfo(nodeName, *nodeIP), *kubeconfig)
		// STAND-IN: the real kubelet watches its pods; the stand-in lists them through kubectl, and each
		// call costs about 0.2 s of CPU: every second that was a quarter of a core per node, measured.
		go api.Run(ctx, apiPollInterval)
	}
	runner := pods.NewRunner(nodeName, staticPodPath, api)
	go runner.Run(ctx)

	mux := http.NewServeMux()
	standin.RegisterHealthz(mux, "/healthz")
	c.Serve(ctx, standin.HostPort(healthzAddr, healthzPort), nil, mux)
}
