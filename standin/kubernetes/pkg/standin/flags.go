package standin

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
)

// gitVersion is set by hack/lib/version.sh through -ldflags -X.
var gitVersion = "v0.0.0-standin"

// Version is the component's version, as --version prints it.
func Version() string { return gitVersion }

// Component is the common frame of a stand-in component: its name and its
// flag set (Go's flag package, which accepts both --name=value and
// --name value, and --bool=false).
type Component struct {
	Name  string
	Flags *flag.FlagSet
	// V is the klog verbosity flag (--v); accepted and otherwise ignored.
	V       int
	version bool
}

// NewComponent returns a component whose flag set reports errors instead of
// exiting, so that Parse can format them like the real (cobra/pflag)
// components do.
func NewComponent(name string) *Component {
	c := &Component{Name: name, Flags: flag.NewFlagSet(name, flag.ContinueOnError)}
	c.Flags.SetOutput(io.Discard)
	c.Flags.IntVar(&c.V, "v", 0, "number for the log level verbosity")
	c.Flags.BoolVar(&c.version, "version", false, "Print version information and quit")
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	log.SetPrefix("")
	return c
}

// Parse parses args (without the program name). An unknown flag prints
// "Error: unknown flag: --foo" and exits 1, like the real components.
// It then logs the start line.
func (c *Component) Parse(args []string) {
	err := c.Flags.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		c.Flags.SetOutput(os.Stdout)
		fmt.Fprintf(os.Stdout, "Usage of %s (stand-in):\n", c.Name)
		c.Flags.PrintDefaults()
		os.Exit(0)
	}
	if err != nil {
		msg := err.Error()
		const undefined = "flag provided but not defined: "
		if strings.HasPrefix(msg, undefined) {
			name := strings.TrimLeft(strings.TrimPrefix(msg, undefined), "-")
			fmt.Fprintf(os.Stderr, "Error: unknown flag: --%s\n", name)
		} else {
			fmt.Fprintf(os.Stderr, "Error: %s\n", strings.Replace(msg, " for flag -", " for flag --", 1))
		}
		os.Exit(1)
	}
	if c.version {
		fmt.Printf("Kubernetes %s (stand-in)\n", gitVersion)
		os.Exit(0)
	}
	if c.Flags.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "Error: unexpected arguments: %q\n", c.Flags.Args())
		os.Exit(1)
	}
	log.Printf("%s (stand-in) starting with flags: %s", c.Name, strings.Join(args, " "))
}

// Fatalf logs an error and exits 1.
func (c *Component) Fatalf(format string, a ...interface{}) {
	log.Printf("%s: "+format, append([]interface{}{c.Name}, a...)...)
	os.Exit(1)
}

// MustRead checks that every non-empty path can be opened for reading,
// exiting 1 with an error naming the file otherwise (like the real
// components fail at start when a certificate or kubeconfig is missing).
func (c *Component) MustRead(paths ...string) {
	for _, p := range paths {
		if p == "" {
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			c.Fatalf("%v", err)
		}
		f.Close()
	}
}
