// Stand-in for the staging repository k8s.io/apiserver. THIS IS NOT KUBERNETES.
module k8s.io/apiserver

go 1.19
