package pods

// API mode of the STAND-IN kubelet: with no cluster file, but the node's own
// kubeconfig (kubeadm's kubelet.conf, system:node:<name>) and a kubectl on
// the pod PATH, the kubelet meets the real API server as the real kubelet
// does: it registers its Node, renews its Lease in kube-node-lease, runs the
// pods bound to it, posts a running pod's status and, once a pod is being
// deleted and its process has stopped, deletes the pod object for good.
//
// STAND-IN: every call goes through the real kubectl with the node's
// kubeconfig (the stand-in carries no client library), from a goroutine of
// its own, so a slow or paused API server (a debug session) never holds up
// the static pods. The pod runner reads the latest result (Snapshot).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

const (
	// objectTTL is how long a fetched ConfigMap or Secret is used before it
	// is read again: the real kubelet's cache also propagates updates
	// within about a minute.
	objectTTL = time.Minute
	// kubectlTimeout bounds each kubectl call.
	kubectlTimeout = 15 * time.Second
)

// APISnapshot is the result of one round of reading the API.
type APISnapshot struct {
	PodList
	objects map[string]map[string]string // objectKey -> files
}

// ObjectFiles returns the files of a mounted ConfigMap or Secret, as last read.
func (s *APISnapshot) ObjectFiles(kind, namespace, name string) (map[string]string, error) {
	files, ok := s.objects[objectKey(kind, namespace, name)]
	if !ok {
		return nil, fmt.Errorf("%s %s/%s not found (or not read yet)", kind, namespace, name)
	}
	return files, nil
}

type cachedObject struct {
	files map[string]string
	at    time.Time
}

// API talks to the API server for the pod runner.
type API struct {
	kubeconfig  string
	clusterFile string
	node        NodeInfo
	cacheDir    string // kubectl's discovery cache: the node's own, not the machine's $HOME

	mu        sync.Mutex
	snapshot  *APISnapshot // nil until a listing succeeds, and after one fails
	deletions map[PodRef]bool
	running   map[PodRef]string // pods whose process runs -> since when (RFC 3339)

	// Used by the API goroutine only.
	registered  bool
	leaseAt     time.Time
	objects     map[string]cachedObject
	clusterSeen bool
	lastMsg     map[string]string
}

// NewAPI returns the API mode of the kubelet of node, with its kubeconfig.
func NewAPI(node NodeInfo, kubeconfig string) *API {
	return &API{kubeconfig: kubeconfig, clusterFile: clusterFile(), node: node,
		cacheDir:  filepath.Join(filepath.Dir(PodsDir), "kplay-standin-kubectl"),
		deletions: map[PodRef]bool{}, running: map[PodRef]string{}, objects: map[string]cachedObject{}, lastMsg: map[string]string{}}
}

// Snapshot is the latest listing of this node's pods, or nil when there is
// none to trust (not in API mode, or the API did not answer).
func (a *API) Snapshot() *APISnapshot {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.snapshot
}

// Delete asks for the pod object to be deleted (grace 0): its process has
// stopped. Done by the API goroutine, again each round until it is gone.
func (a *API) Delete(ref PodRef) {
	a.mu.Lock()
	a.deletions[ref] = true
	a.mu.Unlock()
}

// Running says that the pod's process runs since startedAt (RFC 3339): the
// API goroutine posts the pod's status when the API does not show it yet.
func (a *API) Running(ref PodRef, startedAt string) {
	a.mu.Lock()
	a.running[ref] = startedAt
	a.mu.Unlock()
}

func (a *API) publish(s *APISnapshot) {
	a.mu.Lock()
	a.snapshot = s
	a.mu.Unlock()
}

func (a *API) once(key, msg string) {
	if a.lastMsg[key] != msg {
		a.lastMsg[key] = msg
		if msg != "" {
			logf("api: %s", msg)
		}
	}
}

// enabled says whether API mode applies now. Once a cluster file has been
// seen, the kubelet stays in cluster-file mode: a file being replaced must
// not send it to an API server that the stand-in cluster does not have.
func (a *API) enabled() (bool, string) {
	if _, err := os.Stat(a.clusterFile); err == nil || a.clusterSeen {
		a.clusterSeen = true
		return false, ""
	}
	if _, err := os.Stat(a.kubeconfig); err != nil {
		return false, fmt.Sprintf("no API mode: kubeconfig %s: %v", a.kubeconfig, err)
	}
	if _, err := lookPath("kubectl"); err != nil {
		return false, "no API mode: " + err.Error()
	}
	return true, ""
}

// Run reads the API every interval until ctx is done.
func (a *API) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if ok, why := a.enabled(); ok {
			a.once("mode", "")
			a.round(ctx)
		} else {
			a.once("mode", why)
			a.publish(nil)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// round registers the node and renews its lease when due, deletes the pods
// the runner has stopped, and publishes the node's pods and their objects.
func (a *API) round(ctx context.Context) {
	now := time.Now()
	a.heartbeat(ctx, now)
	a.deletePending(ctx)
	out, err := a.kubectl(ctx, nil, "get", "pods", "--all-namespaces", "--field-selector", "spec.nodeName="+a.node.Name, "-o", "json")
	var list PodList
	if err == nil {
		list, err = PodsFromList(out, a.node.Name)
	}
	if err != nil {
		// Keep the pods as they are until the API answers again.
		a.once("list", fmt.Sprintf("listing the pods of node %s: %v (keeping its pods as they are)", a.node.Name, err))
		a.publish(nil)
		return
	}
	a.once("list", "")
	for _, e := range list.Errors {
		a.once("pod:"+e.Error(), e.Error())
	}
	a.postStatuses(ctx, list)
	snap := &APISnapshot{PodList: list, objects: map[string]map[string]string{}}
	for _, key := range mountedObjects(list.Run) {
		if files, ok := a.object(ctx, key, now); ok {
			snap.objects[key] = files
		}
	}
	a.publish(snap)
}

// object returns a mounted object's files, read again once objectTTL has passed.
func (a *API) object(ctx context.Context, key string, now time.Time) (map[string]string, bool) {
	if c, ok := a.objects[key]; ok && now.Sub(c.at) < objectTTL {
		return c.files, true
	}
	parts := strings.SplitN(key, "/", 3) // kind/namespace/name
	out, err := a.kubectl(ctx, nil, "get", parts[0], "--namespace", parts[1], parts[2], "-o", "json")
	var files map[string]string
	if err == nil {
		files, err = ObjectFiles(parts[0], out)
	}
	if err != nil {
		a.once("object:"+key, fmt.Sprintf("reading %s: %v", key, err))
		c, ok := a.objects[key] // a stale copy beats none, as the kubelet's cache does
		return c.files, ok
	}
	a.once("object:"+key, "")
	a.objects[key] = cachedObject{files: files, at: now}
	return files, true
}

// heartbeat registers the Node once (when it is missing) and renews the
// node's Lease every quarter of its duration, as the real kubelet does.
// STAND-IN: the Node's status is posted at registration only; the node
// lifecycle controller takes the renewed Lease as the node's heartbeat.
func (a *API) heartbeat(ctx context.Context, now time.Time) {
	if !a.registered {
		out, err := a.kubectl(ctx, nil, "get", "node", a.node.Name, "--ignore-not-found", "-o", "name")
		if err == nil && strings.TrimSpace(string(out)) == "" {
			body, _ := json.Marshal(NodeObject(a.node, now))
			if _, err = a.kubectl(ctx, body, "create", "-f", "-"); err == nil {
				logf("api: registered node %s", a.node.Name)
			}
		}
		if err != nil {
			a.once("register", fmt.Sprintf("registering node %s: %v", a.node.Name, err))
			return
		}
		a.once("register", "")
		a.registered = true
	}
	if now.Sub(a.leaseAt) < LeaseDuration/4 {
		return
	}
	body, _ := json.Marshal(LeaseObject(a.node.Name, now))
	if _, err := a.kubectl(ctx, body, "apply", "--server-side", "--force-conflicts", "--field-manager=kubelet", "-f", "-"); err != nil {
		a.once("lease", fmt.Sprintf("renewing the lease of node %s: %v", a.node.Name, err))
		return
	}
	a.once("lease", "")
	a.leaseAt = now
}

// deletePending deletes, with grace 0, the pod objects whose process the
// runner has stopped: the real kubelet's final delete, which lets the
// DaemonSet controller (or whoever deleted the pod) see it gone.
func (a *API) deletePending(ctx context.Context) {
	a.mu.Lock()
	refs := make([]PodRef, 0, len(a.deletions))
	for ref := range a.deletions {
		refs = append(refs, ref)
	}
	a.mu.Unlock()
	for _, ref := range refs {
		out, err := a.kubectl(ctx, nil, "delete", "pod", "--namespace", ref.Namespace, ref.Name,
			"--grace-period=0", "--force", "--ignore-not-found", "--wait=false")
		if err != nil {
			a.once("delete:"+ref.String(), fmt.Sprintf("deleting pod %s: %v", ref, err))
			continue
		}
		if len(bytes.TrimSpace(out)) > 0 { // empty: already gone (asked again from an older listing)
			logf("api: deleted pod %s", ref)
		}
		a.mu.Lock()
		delete(a.deletions, ref)
		a.mu.Unlock()
	}
}

// postStatuses posts the Running status of the pods whose process runs and
// whose listed status does not say so yet (the real kubelet's status manager
// does this on every change; the stand-in's pods change only by starting).
func (a *API) postStatuses(ctx context.Context, list PodList) {
	a.mu.Lock()
	running := map[PodRef]string{}
	for ref, at := range a.running {
		if _, listed := list.Objects[ref]; listed {
			running[ref] = at
		} else {
			delete(a.running, ref) // gone from the API
		}
	}
	a.mu.Unlock()
	for ref, at := range running {
		pod := list.Objects[ref]
		if str(get(pod, "status", "phase")) == "Running" && str(get(pod, "status", "startTime")) == at {
			continue
		}
		body, _ := json.Marshal(RunningStatus(pod, a.node.IP, at))
		uri := "/api/v1/namespaces/" + ref.Namespace + "/pods/" + ref.Name + "/status"
		if _, err := a.kubectl(ctx, body, "replace", "--raw", uri, "-f", "-"); err != nil {
			a.once("status:"+ref.String(), fmt.Sprintf("posting the status of pod %s: %v", ref, err))
			continue
		}
		a.once("status:"+ref.String(), "")
	}
}

// kubectl runs the real kubectl with the node's kubeconfig. Its stdout is
// returned and never logged (it may hold a Secret); an error carries the
// end of its stderr.
func (a *API) kubectl(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	path, err := lookPath("kubectl")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, kubectlTimeout)
	defer cancel()
	full := append([]string{"--kubeconfig", a.kubeconfig, "--cache-dir", a.cacheDir,
		fmt.Sprintf("--request-timeout=%ds", int(kubectlTimeout/time.Second)-5)}, args...)
	cmd := exec.CommandContext(ctx, path, full...)
	cmd.Env = []string{PodPATH, "HOME=" + a.cacheDir}
	cmd.Dir = "/"
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 300 {
			msg = msg[len(msg)-300:]
		}
		return nil, fmt.Errorf("kubectl %s: %v: %s", args[0], err, msg)
	}
	return stdout.Bytes(), nil
}
