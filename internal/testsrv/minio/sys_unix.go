//go:build unix

package minio

import (
	"os"
	"syscall"
)

func lockFile(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }

func unlockFile(f *os.File) { syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }

// terminate asks the server to shut down cleanly.
func terminate(p *os.Process) { p.Signal(syscall.SIGTERM) }
