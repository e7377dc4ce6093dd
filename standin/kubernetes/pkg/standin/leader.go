package standin

import (
	"log"
	"os"
	"time"
)

// WatchLease stands in for leader election. The real scheduler and
// controller-manager renew a Lease every few seconds and exit when they
// cannot renew it within the lease duration. Here a goroutine ticks every
// second and, if the wall-clock gap since its previous tick exceeds the
// lease duration (the process was paused, e.g. stopped in a debugger), logs
// "leaderelection lost" and exits 1.
func (c *Component) WatchLease(leaseDuration time.Duration) {
	go func() {
		ticker := time.NewTicker(time.Second)
		defer ticker.Stop()
		prev := time.Now().Round(0) // Round(0) strips the monotonic reading: wall clock
		for range ticker.C {
			now := time.Now().Round(0)
			if gap := now.Sub(prev); gap > leaseDuration {
				log.Printf("%s (stand-in): %v since last renewal exceeds lease duration %v", c.Name, gap, leaseDuration)
				log.Printf("leaderelection lost")
				os.Exit(1)
			}
			prev = now
		}
	}()
}
