#!/usr/bin/env python3
"""scmpd's wake-up mode follows the traffic (daemon/session.c): the kernel's synchronous wake-up
(SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) is set on a listener while scmpd serves one listener at a
time, and cleared while notifications interleave from several, then set again when one is left.
Read from `listeners` (its sync_wake_up field) while the load program's targets are served.

Usage: wakeup.py SCMPD LOAD plain|sanitized
scmpd judges the mode over windows of received notifications, so the test waits for counts of
notifications (bounded generously in time), never for a time: a loaded machine only makes it
take longer.
Exit 0 when every check held; 77 (skipped) on a kernel without SYNC_WAKE_UP.
"""
import os
import signal
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check  # noqa: E402

SCMPD, LOAD = (os.path.abspath(a) for a in sys.argv[1:3])
harness.SANITIZED = sys.argv[3] == "sanitized"
CONF = {"policies": [{"name": "continue", "match": {"metadata": "continue"},
                      "rules": [{"syscalls": ["getppid"], "chain": ["continue"]}]}]}


def listeners(d):
    return (d.request("listeners") or {}).get("listeners", [])


def busy_rows(d, n, after=None, deadline=harness.WAIT):
    """The listener rows once n listeners have each had a few thousand notifications (or,
    given `after`, earlier rows of them, a thousand more each: many more of scmpd's windows)."""
    rows = []
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if after is None:
            rows = [r for r in listeners(d) if r["handled"] >= 2000]
        else:
            was = {r["session"]: r["handled"] for r in after}
            rows = [r for r in listeners(d)
                    if r["session"] in was and r["handled"] >= was[r["session"]] + 1000]
        if len(rows) >= n:
            return rows
        time.sleep(0.1)
    return rows


def phase(d, targets):
    """Serve `targets` busy listeners; their rows, sampled after they have been busy a while."""
    p = harness.start_load(LOAD, d, 10 * harness.WAIT, "--steady", "%d:continue:ppid" % targets)
    rows = busy_rows(d, targets)
    rows = busy_rows(d, targets, after=rows)
    p.send_signal(signal.SIGUSR1)  # the load ends now, with its figures
    r = harness.finish_load(p, harness.WAIT)
    check(r.get("wrong") == "0" and r.get("scmpd_alive") == "1",
          "%d busy listener(s): every answer right (%s wrong)" % (targets, r.get("wrong")))
    return rows


def main():
    tmp = tempfile.mkdtemp(prefix="scmpd-wakeup.")
    d = harness.Daemon(SCMPD, tmp, "main", CONF)
    try:
        st = d.status()
        if not st["features"]["sync_wake_up"]:
            print("this kernel has no SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP; skipped")
            return 77
        one = phase(d, 1)
        check(len(one) == 1 and one[0]["sync_wake_up"] is True,
              "one busy listener: synchronous wake-up on (%s)"
              % [(r["session"], r["sync_wake_up"]) for r in one])
        many = phase(d, 4)
        check(len(many) == 4 and all(r["sync_wake_up"] is False for r in many),
              "four busy listeners: synchronous wake-up off on each (%s)"
              % [(r["session"], r["sync_wake_up"]) for r in many])
        again = phase(d, 1)
        check(len(again) == 1 and again[0]["sync_wake_up"] is True,
              "one busy listener again: synchronous wake-up back on (%s)"
              % [(r["session"], r["sync_wake_up"]) for r in again])
        check(not harness.log_problems(d), "no failed answer or crash in scmpd's log")
    finally:
        rc = d.stop()
    check(rc == 0, "scmpd exited cleanly at SIGTERM (%s)" % rc)
    print("%d failure(s)" % len(harness.failures))
    return 1 if harness.failures else 0


if __name__ == "__main__":
    sys.exit(main())
