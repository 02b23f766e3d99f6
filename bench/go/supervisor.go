// A small seccomp notification supervisor on libseccomp's Go bindings (Debian's
// golang-github-seccomp-libseccomp-golang, linking Debian's libseccomp 2.5.4): the anchor that
// bench-notify compares scmpd against. It serves a listener the way Go agents such as
// seccompagent do: NotifReceive, NotifIDValid (the TOCTOU check before trusting what was read),
// then NotifRespond. Every notification is answered with CONTINUE.
//
// Usage: supervisor FD COUNT
//
//	FD     an inherited seccomp listener fd
//	COUNT  notifications to answer before exiting (the target makes exactly that many)
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"

	seccomp "github.com/seccomp/libseccomp-golang"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: supervisor FD COUNT")
		os.Exit(2)
	}
	fd, err1 := strconv.Atoi(os.Args[1])
	count, err2 := strconv.Atoi(os.Args[2])
	if err1 != nil || err2 != nil || fd < 0 || count < 0 {
		fmt.Fprintln(os.Stderr, "supervisor: FD and COUNT are non-negative integers")
		os.Exit(2)
	}
	// One goroutine serves the listener, as in an agent's per-container loop; the blocking
	// ioctl keeps it on one OS thread anyway.
	runtime.LockOSThread()
	listener := seccomp.ScmpFd(fd)
	for served := 0; served < count; {
		req, err := seccomp.NotifReceive(listener)
		if err != nil {
			fmt.Fprintf(os.Stderr, "supervisor: receive: %v\n", err)
			os.Exit(1)
		}
		if err := seccomp.NotifIDValid(listener, req.ID); err != nil {
			// The target went away or was interrupted: nothing to answer.
			continue
		}
		resp := &seccomp.ScmpNotifResp{ID: req.ID, Flags: seccomp.NotifRespFlagContinue}
		if err := seccomp.NotifRespond(listener, resp); err != nil {
			fmt.Fprintf(os.Stderr, "supervisor: respond: %v\n", err)
			os.Exit(1)
		}
		served++
	}
}
