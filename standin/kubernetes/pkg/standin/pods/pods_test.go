package pods

import (
	"encoding/json"
	"reflect"
	"testing"
)

const kubeadmManifest = `apiVersion: v1
kind: Pod
metadata:
  annotations:
    kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint: 10.0.0.1:6443
  creationTimestamp: null
  labels:
    component: kube-apiserver
    tier: control-plane
  name: kube-apiserver
  namespace: kube-system
spec:
  containers:
  - command:
    - kube-apiserver
    - --advertise-address=10.0.0.1
    - "--authorization-mode=Node,RBAC"   # a comment
    - '--etcd-servers=https://127.0.0.1:2379'
    - --tls-cert-file=/etc/kubernetes/pki/apiserver.crt
    args:
    - --v=$(LEVEL)
    - --x=$$(LEVEL) $(UNKNOWN)
    env:
    - name: LEVEL
      value: "2"
    - name: NODE
      valueFrom:
        fieldRef:
          fieldPath: spec.nodeName
    image: registry.k8s.io/kube-apiserver:v1.28.0
    livenessProbe:
      failureThreshold: 8
      httpGet:
        host: 10.0.0.1
        path: /livez
        port: 6443
        scheme: HTTPS
    volumeMounts:
    - mountPath: /etc/ssl/certs
      name: ca-certs
      readOnly: true
  hostNetwork: true
  volumes:
  - hostPath:
      path: /etc/ssl/certs
      type: DirectoryOrCreate
    name: ca-certs
status: {}
`

func TestParseStaticPod(t *testing.T) {
	p, err := ParseStaticPod([]byte(kubeadmManifest), "node1")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "kube-apiserver-node1" || p.Namespace != "kube-system" {
		t.Errorf("name %q ns %q", p.Name, p.Namespace)
	}
	want := []string{"kube-apiserver", "--advertise-address=10.0.0.1", "--authorization-mode=Node,RBAC",
		"--etcd-servers=https://127.0.0.1:2379", "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt"}
	if !reflect.DeepEqual(p.Command, want) {
		t.Errorf("command %q", p.Command)
	}
	env := p.ResolveEnv("node1")
	if !reflect.DeepEqual(env, [][2]string{{"LEVEL", "2"}, {"NODE", "node1"}}) {
		t.Errorf("env %q", env)
	}
	m := map[string]string{"LEVEL": "2"}
	if got := Expand(p.Args[0], m); got != "--v=2" {
		t.Errorf("expand %q", got)
	}
	if got := Expand(p.Args[1], m); got != "--x=$(LEVEL) $(UNKNOWN)" {
		t.Errorf("expand %q", got)
	}
	if len(p.Mounts) != 0 {
		t.Errorf("mounts %v", p.Mounts)
	}
}

func TestParseYAMLShapes(t *testing.T) {
	v, err := ParseYAML([]byte("a:\n- x\n- - y\n  - z\n- k: v\n  l: [p, 'q']\nb: |\n  line1\n  line2\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]interface{}{
		"a": []interface{}{"x", []interface{}{"y", "z"}, map[string]interface{}{"k": "v", "l": []interface{}{"p", "q"}}},
		"b": "line1\nline2\n",
	}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("got %#v", v)
	}
}

func TestDaemonSetMatching(t *testing.T) {
	js := `{"nodes":{"n1":{"metadata":{"labels":{"os":"linux","role":"b"}}}},
	 "daemonsets":{"kube-system/kube-proxy":{"metadata":{"name":"kube-proxy","namespace":"kube-system"},
	  "spec":{"template":{"spec":{"nodeSelector":{"os":"linux"},
	   "affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[
	     {"matchExpressions":[{"key":"x","operator":"Exists"}]},
	     {"matchExpressions":[{"key":"role","operator":"In","values":["a","b"]},{"key":"skip","operator":"DoesNotExist"},{"key":"role","operator":"NotIn","values":["c"]}]}]}}},
	   "containers":[{"command":["kube-proxy"]}]}}}}}}`
	var c Cluster
	if err := json.Unmarshal([]byte(js), &c); err != nil {
		t.Fatal(err)
	}
	pods, errs := c.DaemonSetPods("n1")
	if len(errs) != 0 || len(pods) != 1 {
		t.Fatalf("pods %v errs %v", pods, errs)
	}
	if pods2, _ := c.DaemonSetPods("n2"); len(pods2) != 0 {
		t.Errorf("unknown node got pods")
	}
	c.Nodes["n1"].(map[string]interface{})["metadata"].(map[string]interface{})["labels"].(map[string]interface{})["skip"] = "1"
	if pods3, _ := c.DaemonSetPods("n1"); len(pods3) != 0 {
		t.Errorf("DoesNotExist ignored")
	}
}
