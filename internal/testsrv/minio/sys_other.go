//go:build !unix

package minio

import "os"

// Without flock, concurrent first builds may both run go install; the
// result is the same binary.
func lockFile(*os.File) error { return nil }

func unlockFile(*os.File) {}

func terminate(p *os.Process) { p.Kill() }
