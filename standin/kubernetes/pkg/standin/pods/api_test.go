package pods

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// A listing as kubectl 1.20 prints it for node cp1: the kube-proxy pod with its
// configMap and service-account secret volumes, a mirror pod, a pod being
// deleted, a finished pod, a pod bound elsewhere and one without a command.
const podList = `{"apiVersion":"v1","kind":"List","items":[
 {"metadata":{"name":"kube-proxy-tzcbz","namespace":"kube-system","uid":"u-1"},
  "spec":{"nodeName":"cp1","serviceAccountName":"kube-proxy",
   "containers":[{"name":"kube-proxy","command":["/usr/local/bin/kube-proxy","--config=/var/lib/kube-proxy/config.conf","--hostname-override=$(NODE_NAME)"],
    "env":[{"name":"NODE_NAME","valueFrom":{"fieldRef":{"fieldPath":"spec.nodeName"}}},{"name":"SA","valueFrom":{"fieldRef":{"fieldPath":"spec.serviceAccountName"}}}],
    "volumeMounts":[{"mountPath":"/var/lib/kube-proxy","name":"kube-proxy"},{"mountPath":"/run/xtables.lock","name":"xtables-lock"},
     {"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount","name":"kube-proxy-token-2cdp7","readOnly":true}]}],
   "volumes":[{"name":"kube-proxy","configMap":{"name":"kube-proxy","defaultMode":420}},
    {"name":"xtables-lock","hostPath":{"path":"/run/xtables.lock","type":"FileOrCreate"}},
    {"name":"kube-proxy-token-2cdp7","secret":{"secretName":"kube-proxy-token-2cdp7","defaultMode":420}}]},
  "status":{"phase":"Pending"}},
 {"metadata":{"name":"kube-apiserver-cp1","namespace":"kube-system","uid":"u-2","annotations":{"kubernetes.io/config.mirror":"abc"}},
  "spec":{"nodeName":"cp1","containers":[{"command":["kube-apiserver"]}]}},
 {"metadata":{"name":"kube-proxy-old","namespace":"kube-system","uid":"u-3","deletionTimestamp":"2026-11-30T15:43:25Z"},
  "spec":{"nodeName":"cp1","containers":[{"command":["kube-proxy"]}]}},
 {"metadata":{"name":"job-x","namespace":"default","uid":"u-4"},
  "spec":{"nodeName":"cp1","containers":[{"command":["true"]}]},"status":{"phase":"Succeeded"}},
 {"metadata":{"name":"elsewhere","namespace":"default","uid":"u-5"},
  "spec":{"nodeName":"cp2","containers":[{"command":["sleep"]}]}},
 {"metadata":{"name":"web-1","namespace":"default","uid":"u-6"},
  "spec":{"nodeName":"cp1","containers":[{"name":"web","image":"example.invalid/web:1"}]}}
]}`

func TestPodsFromList(t *testing.T) {
	l, err := PodsFromList([]byte(podList), "cp1")
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Run) != 1 {
		t.Fatalf("run %d pods, want the kube-proxy one only: %+v", len(l.Run), l.Run)
	}
	p := l.Run[0]
	if p.Name != "kube-proxy-tzcbz" || p.Namespace != "kube-system" || p.Hash != "u-1" || p.Source != "api:kube-system/kube-proxy-tzcbz" {
		t.Errorf("pod %+v", p)
	}
	if p.ServiceAccountToken {
		t.Errorf("an API pod gets its real token from its secret volume, not a stand-in token")
	}
	want := []Mount{
		{Kind: KindConfigMap, Volume: "kube-proxy", Object: "kube-proxy", MountPath: "/var/lib/kube-proxy"},
		{Kind: KindSecret, Volume: "kube-proxy-token-2cdp7", Object: "kube-proxy-token-2cdp7", MountPath: "/var/run/secrets/kubernetes.io/serviceaccount"},
	}
	if !reflect.DeepEqual(p.Mounts, want) {
		t.Errorf("mounts %+v", p.Mounts)
	}
	if env := p.ResolveEnv("cp1"); !reflect.DeepEqual(env, [][2]string{{"NODE_NAME", "cp1"}, {"SA", "kube-proxy"}}) {
		t.Errorf("env %q", env)
	}
	if !reflect.DeepEqual(l.Terminating, []PodRef{{Namespace: "kube-system", Name: "kube-proxy-old"}}) {
		t.Errorf("terminating %v", l.Terminating)
	}
	if len(l.Errors) != 1 || !strings.Contains(l.Errors[0].Error(), "pod default/web-1: spec.containers[0].command is required") {
		t.Errorf("errors %v", l.Errors)
	}
	if got := mountedObjects(l.Run); !reflect.DeepEqual(got, []string{"configmap/kube-system/kube-proxy", "secret/kube-system/kube-proxy-token-2cdp7"}) {
		t.Errorf("mounted objects %v", got)
	}
	if _, err := PodsFromList([]byte("error: the server doesn't have a resource type"), "cp1"); err == nil {
		t.Errorf("non-JSON output must be an error")
	}
}

func TestObjectFiles(t *testing.T) {
	token := "eyJhbGciOiJSUzI1NiJ9.secret-part"
	secret := `{"kind":"Secret","data":{"token":"` + base64.StdEncoding.EncodeToString([]byte(token)) +
		`","namespace":"` + base64.StdEncoding.EncodeToString([]byte("kube-system")) + `"}}`
	files, err := ObjectFiles(KindSecret, []byte(secret))
	if err != nil || files["token"] != token || files["namespace"] != "kube-system" {
		t.Errorf("secret files %v err %v", files, err)
	}
	cm := `{"kind":"ConfigMap","data":{"config.conf":"mode: iptables\n"},"binaryData":{"b":"` + base64.StdEncoding.EncodeToString([]byte{0, 1}) + `"}}`
	files, err = ObjectFiles(KindConfigMap, []byte(cm))
	if err != nil || !reflect.DeepEqual(files, map[string]string{"config.conf": "mode: iptables\n", "b": "\x00\x01"}) {
		t.Errorf("configmap files %q err %v", files, err)
	}
	// A value that is not base64 is reported by its key, never shown.
	_, err = ObjectFiles(KindSecret, []byte(`{"data":{"token":"not base64 TOPSECRET!"}}`))
	if err == nil || !strings.Contains(err.Error(), `"token"`) || strings.Contains(err.Error(), "TOPSECRET") {
		t.Errorf("bad secret: %v", err)
	}
}

func TestNodeAndLeaseObjects(t *testing.T) {
	now := time.Date(2026, 11, 30, 15, 42, 11, 123456000, time.UTC)
	n := NodeObject(NodeInfo{Name: "cp1", IP: "10.250.0.10", CPUs: 2, MemoryKi: 4000000, Version: "v1.20.2", Arch: "amd64"}, now)
	data, _ := json.Marshal(n)
	var node struct {
		Metadata struct{ Labels map[string]string }
		Status   struct {
			Capacity   map[string]string
			Addresses  []map[string]string
			Conditions []map[string]string
		}
	}
	if err := json.Unmarshal(data, &node); err != nil {
		t.Fatal(err)
	}
	wantLabels := map[string]string{"kubernetes.io/hostname": "cp1", "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
		"beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64"}
	if !reflect.DeepEqual(node.Metadata.Labels, wantLabels) {
		t.Errorf("labels %v", node.Metadata.Labels)
	}
	if !reflect.DeepEqual(node.Status.Capacity, map[string]string{"cpu": "2", "memory": "4000000Ki", "pods": "110"}) {
		t.Errorf("capacity %v", node.Status.Capacity)
	}
	if node.Status.Addresses[0]["type"] != "InternalIP" || node.Status.Addresses[0]["address"] != "10.250.0.10" {
		t.Errorf("addresses %v", node.Status.Addresses)
	}
	ready := node.Status.Conditions[len(node.Status.Conditions)-1]
	if ready["type"] != "Ready" || ready["status"] != "True" || ready["lastHeartbeatTime"] != "2026-11-30T15:42:11Z" {
		t.Errorf("ready condition %v", ready)
	}
	lease := LeaseObject("cp1", now)
	if got := get(lease, "spec", "renewTime"); got != "2026-11-30T15:42:11.123456Z" {
		t.Errorf("renewTime %v", got)
	}
	if get(lease, "metadata", "namespace") != "kube-node-lease" || get(lease, "spec", "holderIdentity") != "cp1" {
		t.Errorf("lease %v", lease)
	}
}

// The runner in API mode, without root: a pod from the API starts as a
// process; once the API says it is being deleted, the process is stopped
// and the pod object's deletion is asked for; a failed listing keeps it.
func TestRunnerAPIMode(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("KPLAY_STANDIN_CLUSTER", filepath.Join(dir, "no-cluster.json"))
	api := NewAPI(NodeInfo{Name: "cp1"}, filepath.Join(dir, "kubelet.conf"))
	r := NewRunner("cp1", filepath.Join(dir, "manifests"), api)
	r.podsDir = filepath.Join(dir, "pods")
	pod := &Pod{Name: "sleeper", Namespace: "default", Source: "api:default/sleeper", Hash: "u-1", Command: []string{"sleep", "60"}}
	api.publish(&APISnapshot{PodList: PodList{Run: []*Pod{pod}}})
	r.sync()
	rp := r.pods["sleeper"]
	if rp == nil || !alive(rp.PID, rp.StartTime) {
		t.Fatalf("the API's pod did not start: %+v", rp)
	}
	t.Cleanup(func() { terminate(rp.PID, rp.StartTime, time.Second) })

	r.sync() // the next round finds it running, for its status to be posted
	if api.running[PodRef{Namespace: "default", Name: "sleeper"}] != rp.StartedAt || r.pods["sleeper"].PID != rp.PID {
		t.Errorf("the running pod was not reported for its status: %v", api.running)
	}

	api.publish(nil) // the API does not answer: the pod keeps running
	r.sync()
	if !alive(rp.PID, rp.StartTime) || r.pods["sleeper"] == nil {
		t.Fatalf("a failed listing stopped the pod")
	}
	if len(api.deletions) != 0 {
		t.Errorf("deletions %v before any", api.deletions)
	}

	ref := PodRef{Namespace: "default", Name: "sleeper"}
	api.publish(&APISnapshot{PodList: PodList{Terminating: []PodRef{ref}}})
	r.sync()
	if alive(rp.PID, rp.StartTime) || r.pods["sleeper"] != nil {
		t.Errorf("the terminating pod still runs")
	}
	if !api.deletions[ref] {
		t.Errorf("its deletion was not asked for: %v", api.deletions)
	}
	if _, err := os.Stat(filepath.Join(r.podsDir, "sleeper", "state.json")); !os.IsNotExist(err) {
		t.Errorf("state.json left: %v", err)
	}
}

// API mode needs the kubeconfig, and never follows a cluster file: once one
// was seen, a moment without it (being replaced) does not switch modes.
func TestAPIModeChoice(t *testing.T) {
	dir := t.TempDir()
	cluster := filepath.Join(dir, "cluster.json")
	t.Setenv("KPLAY_STANDIN_CLUSTER", cluster)
	api := NewAPI(NodeInfo{Name: "cp1"}, filepath.Join(dir, "kubelet.conf"))
	if ok, why := api.enabled(); ok || !strings.Contains(why, "kubelet.conf") {
		t.Errorf("without a kubeconfig: %v %q", ok, why)
	}
	if err := os.WriteFile(cluster, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kubelet.conf"), []byte("apiVersion: v1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if ok, _ := api.enabled(); ok {
		t.Errorf("API mode with a cluster file")
	}
	os.Remove(cluster)
	if ok, _ := api.enabled(); ok {
		t.Errorf("API mode once the cluster file was seen")
	}
}

// Cluster-file mode is unchanged by API mode: the DaemonSet's pod runs while
// the node matches, stops once a label excludes it, and the API is not used.
func TestRunnerClusterMode(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: a DaemonSet pod of the cluster file gets its stand-in token through a mount namespace of its own (unshare --mount)")
	}
	dir := t.TempDir()
	cluster := filepath.Join(dir, "cluster.json")
	t.Setenv("KPLAY_STANDIN_CLUSTER", cluster)
	write := func(labels string) {
		js := `{"nodes":{"n1":{"metadata":{"labels":{` + labels + `}}}},"configmaps":{},
		 "daemonsets":{"kube-system/kube-proxy":{"metadata":{"name":"kube-proxy","namespace":"kube-system"},
		  "spec":{"template":{"spec":{"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[
		   {"matchExpressions":[{"key":"kplay.io/debug","operator":"DoesNotExist"}]}]}}},
		   "containers":[{"command":["sleep","60"]}]}}}}}}`
		if err := os.WriteFile(cluster, []byte(js), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`"kubernetes.io/os":"linux"`)
	api := NewAPI(NodeInfo{Name: "n1"}, filepath.Join(dir, "kubelet.conf"))
	api.publish(&APISnapshot{}) // an API snapshot that must be ignored while the cluster file exists
	r := NewRunner("n1", filepath.Join(dir, "manifests"), api)
	r.podsDir = filepath.Join(dir, "pods")
	r.sync()
	if len(r.pods) != 1 {
		t.Fatalf("pods %v", r.pods)
	}
	var rp *running
	for _, p := range r.pods {
		rp = p
	}
	t.Cleanup(func() { terminate(rp.PID, rp.StartTime, time.Second) })
	if !strings.HasPrefix(rp.Name, "kube-proxy-") || rp.Source != "daemonset:kube-system/kube-proxy" || !alive(rp.PID, rp.StartTime) {
		t.Fatalf("pod %+v", rp.State)
	}
	write(`"kubernetes.io/os":"linux","kplay.io/debug":"true"`)
	r.sync()
	if len(r.pods) != 0 || alive(rp.PID, rp.StartTime) {
		t.Errorf("the excluded node still runs the pod")
	}
	if len(api.deletions) != 0 {
		t.Errorf("cluster-file mode asked the API for deletions: %v", api.deletions)
	}
}

func TestRunningStatus(t *testing.T) {
	l, err := PodsFromList([]byte(podList), "cp1")
	if err != nil {
		t.Fatal(err)
	}
	ref := PodRef{Namespace: "kube-system", Name: "kube-proxy-tzcbz"}
	pod := l.Objects[ref]
	out := RunningStatus(pod, "10.250.0.10", "2026-11-30T15:42:26Z")
	if !reflect.DeepEqual(out["spec"], get(pod, "spec")) || !reflect.DeepEqual(out["metadata"], get(pod, "metadata")) {
		t.Errorf("spec or metadata changed")
	}
	if get(pod, "status", "phase") != "Pending" {
		t.Errorf("the listed pod was modified")
	}
	st := out["status"]
	if get(st, "phase") != "Running" || get(st, "podIP") != "10.250.0.10" || get(st, "startTime") != "2026-11-30T15:42:26Z" {
		t.Errorf("status %v", st)
	}
	if get(st, "conditions", 1, "type") != "Ready" || get(st, "conditions", 1, "status") != "True" {
		t.Errorf("conditions %v", get(st, "conditions"))
	}
	if get(st, "containerStatuses", 0, "state", "running", "startedAt") != "2026-11-30T15:42:26Z" || get(st, "containerStatuses", 0, "ready") != true {
		t.Errorf("container statuses %v", get(st, "containerStatuses"))
	}
	// A second container does not run: reported waiting, the pod not ready.
	two := map[string]interface{}{"metadata": map[string]interface{}{"uid": "u"}, "spec": map[string]interface{}{
		"containers": []interface{}{map[string]interface{}{"name": "a"}, map[string]interface{}{"name": "b"}}}}
	st = RunningStatus(two, "", "t")["status"]
	if get(st, "conditions", 1, "status") != "False" || get(st, "containerStatuses", 1, "state", "waiting") == nil || get(st, "podIP") != nil {
		t.Errorf("two containers: %v", st)
	}
}
