//go:build !unix

package wlm

import "time"

// processCPU is unavailable here: cpu_time rules never fire.
func processCPU() time.Duration { return 0 }
