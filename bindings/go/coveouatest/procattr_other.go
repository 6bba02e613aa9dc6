//go:build !linux

package coveouatest

import "syscall"

// dieWithParent: only Linux can tie the emulator's life to the test
// process's; elsewhere Stop (run by t.Cleanup) is what ends it.
func dieWithParent() *syscall.SysProcAttr { return nil }
