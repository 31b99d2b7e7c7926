//go:build unix

package sensitive

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the process has used: on a shared machine it
// shows the cost of the code apart from the time spent waiting for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
