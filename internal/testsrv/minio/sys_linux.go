//go:build linux

package minio

import "syscall"

// procAttr kills the server if the test process dies without cleaning
// up (a test timeout), so no MinIO outlives its test.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
