package coveouatest

import "syscall"

// dieWithParent has the kernel kill the emulator if the test process dies
// without stopping it, so no emulator outlives a crashed test run.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
