#!/usr/bin/env python3
"""Trust boundaries (issue 18): who may select a policy, and who may take over scmpd's sockets.

Usage: trust.py SCMPD SCMPCTL EXAMPLES_DIR plain|sanitized

Each case is an attack that worked before the fix; the unprivileged side runs as a real
unprivileged user (uid and gid 65534, through setpriv), never as root pretending.

  claimed-policy   a user listed in handoff.uids claims docs/examples/mount-emulation.json's
                   policy by its metadata and asks for a console device node from its own user
                   and mount namespace: the policy lends privileges, so it is for root peers only
  attested-target  a policy that matches on the target's user namespace (read by scmpd from
                   /proc, not claimed) is chosen for a target in another user namespace only
  mknod-host-ns    a root peer hands over a listener whose target, an unprivileged process,
                   shares the host's mount namespace: mknod is not emulated for it
  socket-live      a second scmpd on a running one's handoff or control path exits non-zero,
                   names the path and the pid, and leaves the first untouched; a stale socket is
                   replaced; at exit a path that is no longer ours is left alone
  conn-hold        a user holds limits.connections idle handoff connections; a root handoff
                   is served while they are still held

Finding 5 (a reload after the default policy file was removed) is tested in
tests/unit/test_config.c (test_reload_file_removed): the default path is fixed, /etc/scmpd.
Finding 4 (meson install) is install_location.sh.

Cases that run `scmpctl run` (a filter loaded under the sanitizer runtime) skip in sanitized
builds, as daemon.sh does.
"""
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check  # noqa: E402

SCMPD, SCMPCTL, EXAMPLES = (os.path.abspath(a) for a in sys.argv[1:4])
SANITIZED = harness.SANITIZED = sys.argv[4] == "sanitized"
NOBODY = 65534
AS_NOBODY = ["setpriv", "--reuid", str(NOBODY), "--regid", str(NOBODY), "--clear-groups"]
WAIT = 120  # generous bound for anything that should happen at once


def run(cmd, timeout=WAIT, **kw):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(cmd, -1, e.stdout or "", "timed out")


def open_to_all(d):
    """The handoff socket and its folders reachable by the unprivileged user (as an operator
    does with SocketMode= for the users it lists in handoff.uids)."""
    os.chmod(d.handoff, 0o666)
    for p in (d.dir, os.path.dirname(d.dir)):
        os.chmod(p, 0o755)


def example(name, **extra):
    with open(os.path.join(EXAMPLES, name)) as f:
        conf = json.load(f)
    conf.update(extra)
    return conf


def is_chardev(path):
    try:
        return stat.S_ISCHR(os.lstat(path).st_mode)
    except OSError:
        return False


def served_root(d, policy):
    """scmpd logged a listener from a root peer under `policy`."""
    return any("peer uid 0: serving" in l and ", policy %s " % policy in l
               for l in d.log_text().splitlines())


def wait_for(pred, seconds=WAIT):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


# ---- finding 1: policies selected by what the peer says ----

def claimed_policy(tmp):
    d = harness.Daemon(SCMPD, tmp, "claimed",
                       example("mount-emulation.json", handoff={"uids": [NOBODY]}))
    try:
        open_to_all(d)
        out = os.path.join(tmp, "claimed", "out")
        os.mkdir(out)
        os.chmod(out, 0o777)
        node = os.path.join(out, "console")
        # Its own user and mount namespace: not the host's, so only the policy stands between
        # the user and a device node made with scmpd's CAP_MKNOD.
        r = run(AS_NOBODY + [SCMPCTL, "run", "--socket", d.handoff, "--metadata",
                             "mount-emulation", "--", "unshare", "-Urm", "--propagation", "unchanged",
                             "sh", "-c",
                             'mknod "$0" c 5 1', node])
        print("unprivileged mknod: rc=%d %s" % (r.returncode, r.stderr.strip()[-300:]))
        check(not is_chardev(node),
              "claimed-policy: an unprivileged peer claiming mount-emulation gets no device node")
        check(wait_for(lambda: any("peer uid %d: serving" % NOBODY in l and "none matched" in l
                                   for l in d.log_text().splitlines())),
              "claimed-policy: its listener falls to the default verdict")
        # Root peers (the runtimes) still get the policy, for a target with its own mount ns.
        node2 = os.path.join(out, "null")
        r = run([SCMPCTL, "run", "--socket", d.handoff, "--metadata", "mount-emulation", "--",
                 "unshare", "-m", "--propagation", "unchanged", "sh", "-c", 'mknod "$0" c 1 3',
                 node2])
        check(served_root(d, "mount-emulation") and is_chardev(node2),
              "claimed-policy: a root peer's listener gets the policy and the emulation (rc=%d %s)"
              % (r.returncode, r.stderr.strip()[-200:]))
    finally:
        d.stop()


def attested_target(tmp):
    conf = {
        "policies": [
            {"name": "userns", "match": {"metadata": "t", "target": {"user_namespace": "other"}},
             "rules": [{"syscalls": ["mkdir"], "chain": [{"errno": "EACCES"}]}]},
            {"name": "host", "match": {"metadata": "t"},
             "rules": [{"syscalls": ["mkdir"], "chain": [{"errno": "EPERM"}]}]},
        ]
    }
    d = harness.Daemon(SCMPD, tmp, "attested", conf)
    try:
        path = os.path.join(tmp, "attested", "x")
        r = run([SCMPCTL, "run", "--socket", d.handoff, "--metadata", "t", "--",
                 "mkdir", path])
        check("Operation not permitted" in r.stderr,
              "attested-target: a target in the initial user namespace gets the other policy "
              "(%s)" % r.stderr.strip()[-200:])
        r = run([SCMPCTL, "run", "--socket", d.handoff, "--metadata", "t", "--",
                 "unshare", "-Ur", "mkdir", path])
        check("Permission denied" in r.stderr,
              "attested-target: a target in its own user namespace gets the userns policy "
              "(%s)" % r.stderr.strip()[-200:])
    finally:
        d.stop()


# ---- finding 2: mknod for a caller in the host's mount namespace ----

def mknod_host_ns(tmp):
    d = harness.Daemon(SCMPD, tmp, "hostns", example("mount-emulation.json"))
    try:
        out = os.path.join(tmp, "hostns", "out")
        os.mkdir(out)
        os.chmod(out, 0o777)
        for p in (os.path.join(tmp, "hostns"), tmp):
            os.chmod(p, 0o755)
        node = os.path.join(out, "null")
        # The peer is root (a runtime would be); the target is an unprivileged process in the
        # host's mount namespace, without CAP_MKNOD.
        r = run([SCMPCTL, "run", "--socket", d.handoff, "--metadata", "mount-emulation", "--"] +
                AS_NOBODY + ["sh", "-c", 'mknod "$0" c 1 3', node])
        print("host-ns mknod: rc=%d %s" % (r.returncode, r.stderr.strip()[-300:]))
        check(served_root(d, "mount-emulation"),
              "mknod-host-ns: the policy was selected (root peer)")
        check(not is_chardev(node),
              "mknod-host-ns: no device node for a caller in the host's mount namespace")
        check("shares the host's or scmpd's mount namespace" in d.log_text(),
              "mknod-host-ns: the refusal is logged")
    finally:
        d.stop()


# ---- finding 3: taking over a running scmpd's sockets ----

def start_second(tmp, name, listen, control):
    os.makedirs(os.path.join(tmp, name), exist_ok=True)
    conf = os.path.join(tmp, name, "scmpd.json")
    with open(conf, "w") as f:
        f.write("{}")
    return subprocess.Popen([SCMPD, "--foreground", "--log-target", "stderr", "--config", conf,
                             "--listen", listen, "--control", control],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def handoff_reachable(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


def socket_live(tmp):
    d = harness.Daemon(SCMPD, tmp, "first", {})
    try:
        ino_h, ino_c = os.stat(d.handoff).st_ino, os.stat(d.control).st_ino
        for which, listen, control in (
                ("handoff", d.handoff, os.path.join(tmp, "second-c.sock")),
                ("control", os.path.join(tmp, "second-h.sock"), d.control)):
            p = start_second(tmp, "second-" + which, listen, control)
            try:
                _, err = p.communicate(timeout=WAIT)
            except subprocess.TimeoutExpired:
                p.kill()
                _, err = p.communicate()
                err += " (still running: it took the path over)"
            path = listen if which == "handoff" else control
            check(p.returncode not in (0, None) and path in err and
                  "pid %d" % d.proc.pid in err,
                  "socket-live: a second scmpd on the %s path exits non-zero naming the path "
                  "and the pid (rc=%s: %s)" % (which, p.returncode, err.strip()[-300:]))
            check(d.alive() and os.stat(d.handoff).st_ino == ino_h and
                  os.stat(d.control).st_ino == ino_c and handoff_reachable(d.handoff) and
                  d.status() is not None,
                  "socket-live: the first scmpd keeps both its sockets (%s)" % which)
            check(not os.path.exists(os.path.join(tmp, "second-h.sock")) and
                  not os.path.exists(os.path.join(tmp, "second-c.sock")),
                  "socket-live: the refused scmpd left no socket of its own behind")
    finally:
        d.stop()
    # A stale socket (bound, nobody listening) is replaced.
    stale = os.path.join(tmp, "stale.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(stale)
    s.close()
    p = start_second(tmp, "stale", stale, os.path.join(tmp, "stale-c.sock"))
    ok = wait_for(lambda: handoff_reachable(stale) or p.poll() is not None)
    check(ok and p.poll() is None, "socket-live: a stale socket is replaced")
    # At exit, a path that another process bound since is left alone.
    os.unlink(stale)
    theirs = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    theirs.bind(stale)
    theirs.listen(1)
    p.terminate()
    try:
        p.wait(timeout=WAIT)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    check(os.path.exists(stale) and handoff_reachable(stale),
          "socket-live: at exit scmpd leaves a path that is no longer its socket")
    theirs.close()


# ---- finding 6: idle connections held by an unprivileged user ----

HOLDER = r"""
import socket, sys, time
conns = []
for _ in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    conns.append(s)
print("holding", flush=True)
sys.stdin.read()  # until the test is done
"""


def conn_hold(tmp):
    limit = 8
    conf = {"handoff": {"uids": [NOBODY]},
            "limits": {"connections": limit, "handoff_timeout_ms": 3600000},
            "policies": [{"name": "ok", "rules": [{"syscalls": ["mkdir"],
                                                   "chain": ["continue"]}]}]}
    d = harness.Daemon(SCMPD, tmp, "hold", conf)
    holders = []
    try:
        open_to_all(d)
        # Several processes of the same user, limits.connections connections in all.
        for _ in range(2):
            h = subprocess.Popen(AS_NOBODY + [sys.executable, "-c", HOLDER, d.handoff,
                                              str(limit // 2)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            holders.append(h)
            check(h.stdout.readline().strip() == "holding",
                  "conn-hold: the unprivileged user opened its connections")
        path = os.path.join(tmp, "hold", "made")
        # While they are held (for as long as this takes), a root handoff is served. Before the
        # fix it waited until the user let go, which here is never before it is served.
        r = run([SCMPCTL, "run", "--socket", d.handoff, "--", "mkdir", path], timeout=WAIT)
        check(r.returncode == 0 and os.path.isdir(path),
              "conn-hold: a root handoff is served while a user holds %d idle connections "
              "(rc=%d %s)" % (limit, r.returncode, r.stderr.strip()[-200:]))
        check("that user has 4 connections open already" in d.log_text(),
              "conn-hold: the user's connections beyond 4 were refused")
        # More root handoffs than limits.connections, one after the other: each finished one
        # gives its slot back (a slot counted but never returned would stall the next).
        served = 0
        for i in range(limit + 2):
            r = run([SCMPCTL, "run", "--socket", d.handoff, "--", "mkdir", path + str(i)])
            served += r.returncode == 0 and os.path.isdir(path + str(i))
        check(served == limit + 2, "conn-hold: %d of %d further root handoffs served"
              % (served, limit + 2))
    finally:
        for h in holders:
            h.kill()
            h.wait()
        d.stop()


def main():
    tmp = tempfile.mkdtemp(prefix="scmpd-trust.")
    os.chmod(tmp, 0o755)
    cases = [("socket-live", socket_live, False), ("claimed-policy", claimed_policy, True), ("attested-target", attested_target, True),
             ("mknod-host-ns", mknod_host_ns, True), ("conn-hold", conn_hold, True)]
    only = os.environ.get("SCMPD_TRUST_CASES", "").split()
    try:
        for name, case, needs_run in cases:
            if only and name not in only:
                continue
            if needs_run and SANITIZED:
                print("skip  %s: scmpctl run would load a filter under a sanitizer runtime"
                      % name, flush=True)
                continue
            print("---- %s" % name, flush=True)
            try:
                case(tmp)
            except Exception as e:  # a case that crashes is a failed case, the rest still run
                check(False, "%s raised %r" % (name, e))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("trust: %d failed" % len(harness.failures), flush=True)
    return 1 if harness.failures else 0


if __name__ == "__main__":
    sys.exit(main())
