// Command ide-paths reads the source file names a Go debug build records in its DWARF line
// tables and prints the VS Code `substitutePath` rules that map a Kubernetes checkout to them.
//
//	ide-paths BINARY COMPONENT CHECKOUT
//
// The names depend on how the tree was built: v1.30 and later build from the tree itself
// (absolute names under the tree); earlier trees build inside the GOPATH that hack/lib/golang.sh
// links at _output/local/go/src/k8s.io/kubernetes, and compile staging repositories from
// vendor/k8s.io/<repo> instead of staging/src/k8s.io/<repo>; before v1.24 (and with
// GOGCFLAGS/-trimpath=KUBE_ROOT) the names are even relative. Reading them from the binary
// covers every layout without guessing which one a tree has.
//
// The rules go to stdout as a JSON array, most specific first: the Go extension (and Delve's
// DAP server) use the first rule whose "from" prefixes a path, in both directions.
// Standard library only, so the playbook can run it with whatever Go the controller has.
package main

import (
	"debug/dwarf"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// workspace is the launch.json variable VS Code replaces with the folder the settings are in.
const workspace = "${workspaceFolder}"

type rule struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// sources is what the binary says about its own files.
type sources struct {
	mainFiles []string        // files of package main
	all       map[string]bool // every file name of every compile unit
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: ide-paths BINARY COMPONENT CHECKOUT")
		os.Exit(2)
	}
	rules, err := mapping(os.Args[1], os.Args[2], os.Args[3])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out, _ := json.MarshalIndent(rules, "      ", "  ")
	fmt.Println(string(out))
}

// mapping computes the rules for one binary, component and checkout.
func mapping(binary, component, checkout string) ([]rule, error) {
	src, err := readSources(binary)
	if err != nil {
		return nil, err
	}
	root, err := mainModuleRoot(src.mainFiles, component)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", binary, err)
	}
	rules := stagingRules(src.all, root, checkout)
	// Longest "from" first, so k8s.io/apiserver is never taken by the rule of k8s.io/api.
	sort.SliceStable(rules, func(i, j int) bool { return len(rules[i].From) > len(rules[j].From) })
	rules = append(rules, rule{From: workspace, To: root})
	warnIfNotTheCheckout(src.mainFiles, root, checkout)
	return rules, nil
}

// readSources collects the file tables of every compile unit; Go names a unit by its package.
func readSources(binary string) (*sources, error) {
	f, err := elf.Open(binary)
	if err != nil {
		return nil, fmt.Errorf("%s is not an ELF binary: %w", binary, err)
	}
	defer f.Close()
	d, err := f.DWARF()
	if err != nil {
		return nil, fmt.Errorf("%s has no debug information (%v): build it with make WHAT=cmd/COMPONENT DBG=1", binary, err)
	}
	src := &sources{all: map[string]bool{}}
	r := d.Reader()
	for {
		e, err := r.Next()
		if err != nil {
			return nil, fmt.Errorf("%s: reading DWARF: %w", binary, err)
		}
		if e == nil {
			break
		}
		if e.Tag != dwarf.TagCompileUnit {
			r.SkipChildren()
			continue
		}
		names, err := fileNames(d, e)
		if err != nil {
			return nil, fmt.Errorf("%s: reading the line table of %v: %w", binary, e.Val(dwarf.AttrName), err)
		}
		for _, n := range names {
			src.all[n] = true
		}
		if e.Val(dwarf.AttrName) == "main" {
			src.mainFiles = append(src.mainFiles, names...)
		}
		r.SkipChildren()
	}
	return src, nil
}

// fileNames lists a unit's source files as its line table names them (and Delve knows them).
func fileNames(d *dwarf.Data, cu *dwarf.Entry) ([]string, error) {
	lr, err := d.LineReader(cu)
	if err != nil || lr == nil {
		return nil, err
	}
	// Go writes every file of a unit into the line table's header, so the table itself need
	// not be run.
	var names []string
	for _, f := range lr.Files() {
		if f != nil && strings.HasSuffix(f.Name, ".go") {
			names = append(names, f.Name)
		}
	}
	return names, nil
}

// mainModuleRoot is where the binary saw the tree: the folder above cmd/COMPONENT.
func mainModuleRoot(mainFiles []string, component string) (string, error) {
	want := "cmd/" + component
	for _, f := range mainFiles {
		dir := path.Dir(f)
		if dir == want {
			return "", fmt.Errorf("its file names are relative to the tree itself (%s), which a path mapping cannot express: build it with make WHAT=cmd/%s DBG=1, without -trimpath", f, component)
		}
		if strings.HasSuffix(dir, "/"+want) {
			return strings.TrimSuffix(dir, "/"+want), nil
		}
	}
	if len(mainFiles) == 0 {
		return "", errors.New("no package main in its debug information")
	}
	return "", fmt.Errorf("its package main is %s, not %s of a Kubernetes tree: set component to the binary's component", path.Dir(mainFiles[0]), want)
}

// stagingRules maps each staging repository of the checkout that the binary compiled from
// vendor/ (trees before v1.30) to that vendor folder.
func stagingRules(all map[string]bool, root, checkout string) []rule {
	repos, _ := os.ReadDir(filepath.Join(checkout, "staging", "src", "k8s.io"))
	used := map[string]bool{}
	for f := range all {
		prefix := root + "/vendor/k8s.io/"
		if !strings.HasPrefix(f, prefix) {
			continue
		}
		if repo, _, ok := strings.Cut(f[len(prefix):], "/"); ok {
			used[repo] = true
		}
	}
	var rules []rule
	for _, r := range repos {
		if r.IsDir() && used[r.Name()] {
			rules = append(rules, rule{
				From: workspace + "/staging/src/k8s.io/" + r.Name(),
				To:   root + "/vendor/k8s.io/" + r.Name(),
			})
		}
	}
	return rules
}

// warnIfNotTheCheckout says so when the checkout lacks the binary's main package files: the
// rules are still right for the binary, but the editor's files would not be the ones it runs.
func warnIfNotTheCheckout(mainFiles []string, root, checkout string) {
	for _, f := range mainFiles {
		rel := strings.TrimPrefix(f, root+"/")
		if rel == f {
			continue // a file of another package that package main refers to
		}
		if _, err := os.Stat(filepath.Join(checkout, rel)); err != nil {
			fmt.Fprintf(os.Stderr, "%s has no %s: is it the checkout the binary was built from?\n", checkout, rel)
			return
		}
	}
}
