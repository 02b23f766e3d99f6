#!/usr/bin/env python3
"""The LXC proxy intake (daemon/intake_lxc.c) against a fake LXC monitor written here.

Usage: lxc_proxy.py SCMPD TARGET plain|sanitized [DEFER_PLUGIN]

The fake monitor does what lxc-start does (docs/lxc.md): a child process runs under a seccomp
filter that notifies mkdir, the monitor receives each notification itself (NOTIF_RECV), forwards
it to scmpd's SOCK_SEQPACKET proxy socket as one datagram with /proc/<tid>, /proc/<tid>/mem and
the notify fd, reads the 136-byte reply and passes the response to the kernel (NOTIF_SEND).

  served        well-formed requests on two connections with different cookies get the verdicts
                of the policies their cookies select (EROFS, EMLINK), and a "continue" rule
                really lets mkdir run; the container name comes from the monitor's command line
                when it looks like lxc-start's
  malformed     every malformed class gets an error reply with the request's id, or (no id to
                answer) a closed connection: wrong sizes, short and long datagrams, nonzero
                __reserved, missing and extra fds, a regular file instead of the notify fd,
                /proc/self instead of the target, an id that is not pending, a huge cookie
                length, a NUL in the cookie, a different notify fd on an established connection;
                after all of them the real notification is still answered by policy
  oci-alongside an OCI listener (TARGET, handed over on the handoff socket) is served while the
                malformed requests arrive
  no-leak       once every connection and child is gone, scmpd holds as many fds as before
  abstract      the proxy on an abstract socket (unix:@NAME)
  stop          a notification in flight when scmpd is stopped (held by the defer test
                plugin behind a gate) is answered ENOSYS through the proxy at once
  restart       a new scmpd on the same proxy path serves a monitor that reconnects after its
                connection to the old one broke (what LXC does when a send fails)
"""
import array
import ctypes
import errno
import fcntl
import json
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check  # noqa: E402

SCMPD, TARGET = (os.path.abspath(a) for a in sys.argv[1:3])
SANITIZED = harness.SANITIZED = sys.argv[3] == "sanitized"
PLUGIN = os.path.abspath(sys.argv[4]) if len(sys.argv) > 4 else None
WAIT = 120

NOTIF_RECV = 0xC0502100
NOTIF_SEND = 0xC0182101
NOTIF_SIZE, RESP_SIZE, DATA_SIZE = 80, 24, 64
HEADER = "=QiiHHHxxQ"  # __reserved, monitor pid, init pid, the three sizes, cookie length
REPLY_SIZE = 32 + NOTIF_SIZE + RESP_SIZE
FLAG_CONTINUE = 1
MKDIR_X86_64 = 83
AUDIT_ARCH_X86_64 = 0xC000003E


def install_filter():
    """In the child: no_new_privs and a filter that notifies mkdir; returns the listener fd."""
    libc = ctypes.CDLL(None, use_errno=True)
    ins = [(0x20, 0, 0, 4),  # ld arch
           (0x15, 1, 0, AUDIT_ARCH_X86_64), (0x06, 0, 0, 0x7FFF0000),
           (0x20, 0, 0, 0),  # ld nr
           (0x15, 0, 1, MKDIR_X86_64), (0x06, 0, 0, 0x7FC00000),  # USER_NOTIF
           (0x06, 0, 0, 0x7FFF0000)]
    raw = b"".join(struct.pack("=HBBI", *i) for i in ins)
    buf = ctypes.create_string_buffer(raw)
    prog = struct.pack("=HxxxxxxQ", len(ins), ctypes.addressof(buf))
    pbuf = ctypes.create_string_buffer(prog)
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "prctl")
    fd = libc.syscall(317, 1, 8, pbuf)  # seccomp(SET_MODE_FILTER, NEW_LISTENER, prog)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "seccomp")
    return fd


class Target:
    """A child under the filter: it makes mkdir calls on request and reports the errno."""

    def __init__(self):
        ctl_parent, ctl_child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.pid = os.fork()
        if self.pid == 0:
            try:
                ctl_parent.close()
                fd = install_filter()
                socket.send_fds(ctl_child, [b"L"], [fd])
                os.close(fd)
                while True:
                    path = ctl_child.recv(4096)
                    if not path:
                        os._exit(0)
                    try:
                        os.mkdir(path)
                        res = 0
                    except OSError as e:
                        res = e.errno
                    ctl_child.send(str(res).encode())
            finally:
                os._exit(1)
        ctl_child.close()
        self.ctl = ctl_parent
        self.ctl.settimeout(WAIT)
        _, fds, _, _ = socket.recv_fds(self.ctl, 16, 1)
        self.listener = fds[0]

    def start_mkdir(self, path):
        self.ctl.send(path.encode())

    def result(self):
        return int(self.ctl.recv(64))

    def receive(self):
        """NOTIF_RECV as the monitor does: (raw notification bytes, id, tid)."""
        r, _, _ = select.select([self.listener], [], [], WAIT)
        if not r:
            raise RuntimeError("no notification within %d s" % WAIT)
        buf = bytearray(NOTIF_SIZE)
        fcntl.ioctl(self.listener, NOTIF_RECV, buf, True)
        nid, tid = struct.unpack_from("=QI", buf)
        return bytes(buf), nid, tid

    def close(self):
        try:
            self.ctl.close()
        except OSError:
            pass
        try:
            os.close(self.listener)
        except OSError:
            pass
        try:
            os.kill(self.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.waitpid(self.pid, 0)
        except OSError:
            pass


def request(notif, nid, cookie=b"", reserved=0, sizes=(NOTIF_SIZE, RESP_SIZE, DATA_SIZE),
            cookie_len=None, resp_id=None):
    hdr = struct.pack(HEADER, reserved, os.getpid(), os.getpid(), sizes[0], sizes[1], sizes[2],
                      len(cookie) if cookie_len is None else cookie_len)
    resp = struct.pack("=QqiI", nid if resp_id is None else resp_id, 0, 0, 0)
    return hdr + notif + resp + cookie


def lxc_fds(tid, listener):
    return [os.open("/proc/%d" % tid, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC),
            os.open("/proc/%d/mem" % tid, os.O_RDWR | os.O_CLOEXEC), listener]


class Monitor:
    """The fake lxc monitor's connection to the proxy socket."""

    def __init__(self, path):
        self.path = path
        self.connect()

    def connect(self):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.s.settimeout(WAIT)
        self.s.connect(self.path)

    def send(self, data, fds):
        """Send one request; the fds we opened here are closed afterwards (not the listener)."""
        self.s.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))]
                       if fds else [])

    def reply(self):
        """The reply as (id, val, error, flags), or None when scmpd closed the connection."""
        try:
            b = self.s.recv(4096)
        except OSError:
            return None
        if not b:
            return None
        if len(b) != REPLY_SIZE:
            return ("length", len(b))
        return struct.unpack_from("=QqiI", b, 32 + NOTIF_SIZE)

    def close(self):
        self.s.close()


def close_all(fds, keep=()):
    for fd in fds:
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def forward(listener, rep):
    """Pass scmpd's response to the kernel, as LXC does."""
    nid, val, err, flags = rep
    fcntl.ioctl(listener, NOTIF_SEND, bytearray(struct.pack("=QqiI", nid, val, err, flags)))


def serve_one(mon, t, path, cookie, fake_fds=None):
    """Run mkdir `path` in target t through the proxy; (reply, the target's errno)."""
    t.start_mkdir(path)
    notif, nid, tid = t.receive()
    fds = fake_fds(tid) if fake_fds else lxc_fds(tid, t.listener)
    mon.send(request(notif, nid, cookie), fds)
    close_all(fds, keep=(t.listener,))
    rep = mon.reply()
    if isinstance(rep, tuple) and len(rep) == 4 and rep[0] == nid:
        forward(t.listener, rep)
    else:
        # No usable answer: answer the kernel ourselves, as LXC would (ENOSYS).
        forward(t.listener, (nid, 0, -errno.ENOSYS, 0))
    return rep, t.result()


POLICY = {
    "default": {"errno": "ENOSYS"},
    "policies": [
        {"name": "lxc-a", "match": {"metadata": "s22l-a"},
         "rules": [{"syscalls": ["mkdir"], "strings": [{"index": 0, "glob": "*/go-*"}],
                    "chain": ["continue"]},
                   {"syscalls": ["mkdir"], "chain": [{"errno": "EROFS"}]}]},
        {"name": "lxc-b", "match": {"metadata": "s22l-b", "container": "s22l-fake"},
         "rules": [{"syscalls": ["mkdir"], "chain": [{"errno": "EMLINK"}]}]},
        {"name": "oci", "match": {"metadata": "s22l-oci"},
         "rules": [{"syscalls": ["mkdir"], "chain": [{"errno": "EBUSY"}]}]},
    ],
}


def wait_for(pred, seconds=WAIT):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def run_as_lxc_start(proxy, name, script):
    """Run `script` (python code reading PROXY) in a process whose command line reads like
    lxc-start's, so that scmpd finds the container name the way it does for the real one.
    PYTHONHOME: with argv[0] changed, Python would not find its library."""
    return subprocess.Popen(["/bin/bash", "-c", 'exec -a lxc-start "$0" "$@"', sys.executable,
                             "-c", script, "-n", name, "-P", "/var/lib/lxc"],
                            env=dict(os.environ, PROXY=proxy, PYTHONHOME=sys.base_prefix))


def served(tmp, d, proxy):
    t = Target()
    try:
        mon = Monitor(proxy)
        rep, res = serve_one(mon, t, os.path.join(tmp, "a-1"), b"s22l-a")
        check(rep[2] == -errno.EROFS and res == errno.EROFS,
              "cookie s22l-a: mkdir answered EROFS by policy lxc-a (reply %r, errno %d)"
              % (rep, res))
        go = os.path.join(tmp, "go-1")
        rep, res = serve_one(mon, t, go, b"s22l-a")
        check(rep[3] == FLAG_CONTINUE and res == 0 and os.path.isdir(go),
              "a continue rule lets the mkdir run (reply %r, errno %d)" % (rep, res))
        mon.close()
    finally:
        t.close()
    # The second policy needs the container name too: from an lxc-start-like command line.
    script = r"""
import os, sys
sys.path.insert(0, %r)
sys.argv = [sys.argv[0], %r, %r, "plain"]
import lxc_proxy as L
t = L.Target()
mon = L.Monitor(os.environ["PROXY"])
rep, res = L.serve_one(mon, t, %r, b"s22l-b")
t.close()
sys.exit(0 if rep[2] == -L.errno.EMLINK and res == L.errno.EMLINK else 1)
""" % (os.path.dirname(os.path.abspath(__file__)), SCMPD, TARGET, os.path.join(tmp, "b-1"))
    p = run_as_lxc_start(proxy, "s22l-fake", script)
    check(p.wait(timeout=WAIT) == 0,
          "cookie s22l-b and container name s22l-fake (from the monitor's command line): "
          "EMLINK by policy lxc-b")
    check(wait_for(lambda: "container s22l-fake" in d.log_text()),
          "scmpd logged the container name s22l-fake")


def malformed(tmp, d, proxy):
    t, t2 = Target(), Target()
    oci = subprocess.Popen([TARGET, "run", d.handoff, "--metadata", "s22l-oci",
                            "--wait-file", os.path.join(tmp, "oci-go"),
                            "mkdir:%s=errno:EBUSY" % os.path.join(tmp, "oci-x")])
    try:
        mon = Monitor(proxy)
        # An established session first, so that "a different notify fd" has something to differ
        # from.
        rep, res = serve_one(mon, t, os.path.join(tmp, "m-0"), b"s22l-a")
        check(res == errno.EROFS, "malformed: the connection is established (EROFS)")
        t.start_mkdir(os.path.join(tmp, "m-1"))
        notif, nid, tid = t.receive()
        t2.start_mkdir(os.path.join(tmp, "m-2"))
        notif2, nid2, tid2 = t2.receive()
        open(os.path.join(tmp, "oci-go"), "w").close()  # the OCI target runs meanwhile
        regular = os.path.join(tmp, "regular")
        open(regular, "w").close()

        def good_fds():
            return lxc_fds(tid, t.listener)

        cases = [
            ("wrong sizes", request(notif, nid, b"s22l-a", sizes=(88, 24, 64)), good_fds),
            ("short datagram", request(notif, nid, b"s22l-a")[:100], good_fds),
            ("long datagram", request(notif, nid, b"s22l-a") + b"xx", good_fds),
            ("nonzero __reserved", request(notif, nid, b"s22l-a", reserved=1), good_fds),
            ("missing fd", request(notif, nid, b"s22l-a"), lambda: good_fds()[:2]),
            ("no fds", request(notif, nid, b"s22l-a"), lambda: []),
            ("extra fd", request(notif, nid, b"s22l-a"),
             lambda: good_fds() + [os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)]),
            ("regular file as notify fd", request(notif, nid, b"s22l-a"),
             lambda: good_fds()[:2] + [os.open(regular, os.O_RDONLY | os.O_CLOEXEC)]),
            ("/proc/self as the target", request(notif, nid, b"s22l-a"),
             lambda: [os.open("/proc/self", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC),
                      os.open("/proc/self/mem", os.O_RDWR | os.O_CLOEXEC), t.listener]),
            ("an id that is not pending",
             request(notif[:0] + struct.pack("=Q", nid ^ 0x5A5A) + notif[8:], nid ^ 0x5A5A,
                     b"s22l-a"), good_fds),
            ("huge cookie length", request(notif, nid, b"s22l-a", cookie_len=1 << 40), good_fds),
            ("NUL in the cookie", request(notif, nid, b"s22l\0a"), good_fds),
            ("response id differs", request(notif, nid, b"s22l-a", resp_id=nid + 1), good_fds),
            ("a different notify fd", request(notif2, nid2, b"s22l-a"),
             lambda: lxc_fds(tid2, t2.listener)),
        ]
        for what, data, make in cases:
            fds = make()
            mon.send(data, fds)
            close_all(fds, keep=(t.listener, t2.listener))
            rep = mon.reply()
            want = nid2 if what == "a different notify fd" else (
                nid ^ 0x5A5A if what == "an id that is not pending" else nid)
            # ENOSYS or EPERM, never the policy's EROFS: the request was not taken.
            check(isinstance(rep, tuple) and len(rep) == 4 and rep[0] == want
                  and rep[2] in (-errno.ENOSYS, -errno.EPERM) and rep[3] == 0,
                  "malformed (%s): an error reply with its id (%r)" % (what, rep))
        # Framing too broken for an id: the connection is closed, not answered.
        mon.send(b"\0" * 20, good_fds()[:0])
        check(mon.reply() is None, "malformed (20 bytes, no id): connection closed")
        mon.close()
        # The monitor reconnects; the real notification is still answered by policy.
        mon = Monitor(proxy)
        fds = good_fds()
        mon.send(request(notif, nid, b"s22l-a"), fds)
        close_all(fds, keep=(t.listener,))
        rep = mon.reply()
        ok = isinstance(rep, tuple) and len(rep) == 4 and rep[0] == nid
        if ok:
            forward(t.listener, rep)
        check(ok and rep[2] == -errno.EROFS and t.result() == errno.EROFS,
              "after the malformed ones, on a new connection, the notification is answered "
              "EROFS (%r)" % (rep,))
        # t2's notification was refused; answer it as LXC would after its timeout.
        forward(t2.listener, (nid2, 0, -errno.ENOSYS, 0))
        check(t2.result() == errno.ENOSYS, "the refused notification ends (ENOSYS)")
        mon.close()
        check(oci.wait(timeout=WAIT) == 0,
              "oci-alongside: the OCI listener was served meanwhile (mkdir EBUSY)")
        check(d.alive(), "scmpd is alive")
    finally:
        if oci.poll() is None:
            oci.kill()
            oci.wait()
        t.close()
        t2.close()


def restart(tmp, d, proxy):
    """A monitor whose connection broke reconnects to the next scmpd and is served."""
    t = Target()
    try:
        mon = Monitor(proxy)
        rep, res = serve_one(mon, t, os.path.join(tmp, "r-1"), b"s22l-a")
        check(res == errno.EROFS, "restart: served before (EROFS)")
        check(d.stop() == 0, "restart: scmpd stopped cleanly")
        d2 = harness.Daemon(SCMPD, tmp, "second", dict(POLICY, lxc_proxy="unix:" + proxy))
        try:
            t.start_mkdir(os.path.join(tmp, "r-2"))
            notif, nid, tid = t.receive()
            fds = lxc_fds(tid, t.listener)
            try:
                mon.send(request(notif, nid, b"s22l-a"), fds)
                sent = mon.reply() is not None
            except OSError:
                sent = False
            check(not sent, "restart: the old connection is broken")
            mon.close()
            mon = Monitor(proxy)  # what LXC does when its send fails
            mon.send(request(notif, nid, b"s22l-a"), fds)
            close_all(fds, keep=(t.listener,))
            rep = mon.reply()
            ok = isinstance(rep, tuple) and len(rep) == 4 and rep[0] == nid
            if ok:
                forward(t.listener, rep)
            else:
                forward(t.listener, (nid, 0, -errno.ENOSYS, 0))
            check(ok and t.result() == errno.EROFS,
                  "restart: the reconnected monitor is served by the new scmpd (%r)" % (rep,))
            mon.close()
        finally:
            check(d2.stop() == 0, "restart: the second scmpd stopped cleanly")
    finally:
        t.close()


def abstract(tmp):
    """lxc_proxy as "unix:@NAME": an abstract socket serves the same way."""
    name = "scmpd-lxc-test-%d" % os.getpid()
    d = harness.Daemon(SCMPD, tmp, "abstract", dict(POLICY, lxc_proxy="unix:@" + name))
    t = Target()
    try:
        mon = Monitor("\0" + name)
        rep, res = serve_one(mon, t, os.path.join(tmp, "ab-1"), b"s22l-a")
        check(res == errno.EROFS, "abstract: unix:@NAME serves (EROFS, reply %r)" % (rep,))
        mon.close()
    finally:
        t.close()
        check(d.stop() == 0, "abstract: scmpd stopped cleanly")


def received_fds(d):
    """scmpd's fds of the kinds the fake monitor sent: notify fds, /proc entries, files."""
    left = []
    for fd in os.listdir("/proc/%d/fd" % d.proc.pid):
        try:
            link = os.readlink("/proc/%d/fd/%s" % (d.proc.pid, fd))
        except OSError:
            continue
        if "seccomp notify" in link or link.startswith("/proc/") or "regular" in link:
            left.append(link)
    return left


def stop_in_flight(tmp):
    """SIGTERM while a notification is held in a handler: the monitor gets ENOSYS at once."""
    gate = os.path.join(tmp, "stop-gate")
    conf = dict(POLICY, lxc_proxy="unix:" + os.path.join(tmp, "stop.sock"),
                handlers={"slow": {"path": PLUGIN}})
    conf["policies"] = [{"name": "slow", "match": {"metadata": "s22l-slow"},
                         "rules": [{"syscalls": ["mkdir"], "chain": [
                             {"handler": "slow", "config": {"gate": gate, "value": 0}}]}]}]
    d = harness.Daemon(SCMPD, tmp, "stop", conf)
    t = Target()
    try:
        mon = Monitor(os.path.join(tmp, "stop.sock"))
        t.start_mkdir(os.path.join(tmp, "st-1"))
        notif, nid, tid = t.receive()
        fds = lxc_fds(tid, t.listener)
        mon.send(request(notif, nid, b"s22l-slow"), fds)
        close_all(fds, keep=(t.listener,))
        held = wait_for(lambda: ((d.status() or {}).get("counts") or {}).get("inflight", 0) >= 1)
        check(held, "stop: the notification is held in the handler")
        d.proc.send_signal(signal.SIGTERM)
        rep = mon.reply()
        check(isinstance(rep, tuple) and len(rep) == 4 and rep[0] == nid
              and rep[2] == -errno.ENOSYS, "stop: answered ENOSYS through the proxy (%r)" % (rep,))
        forward(t.listener, (nid, 0, -errno.ENOSYS, 0))
        check(t.result() == errno.ENOSYS, "stop: the target's mkdir failed with ENOSYS")
        open(gate, "w").close()  # the handler lets go; scmpd can finish
        try:  # already signalled: wait for it (a second SIGTERM would kill it)
            rc = d.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            rc = "hung"
        check(rc == 0, "stop: scmpd exited cleanly (%r)" % (rc,))
        mon.close()
    finally:
        open(gate, "w").close()
        t.close()
        d.stop()


def main():
    if os.uname().machine != "x86_64":
        print("skip: the fake monitor's filter is written for x86_64")
        return 77
    tmp = tempfile.mkdtemp(prefix="scmpd-lxc.")
    proxy = os.path.join(tmp, "lxc.sock")
    try:
        d = harness.Daemon(SCMPD, tmp, "first", dict(POLICY, lxc_proxy="unix:" + proxy))
        try:
            time.sleep(0)  # the daemon is up (its control socket answered)
            base = d.fds()
            for name, case in (("served", served), ("malformed", malformed)):
                print("---- %s" % name, flush=True)
                try:
                    case(tmp, d, proxy)
                except Exception as e:  # a crashing case fails; the others still run
                    check(False, "%s raised %r" % (name, e))
            print("---- no-leak", flush=True)
            # The count taken at start may include a control connection scmpd had not closed
            # yet, so: no more fds than then, and none of the kinds the requests brought.
            check(wait_for(lambda: d.fds() <= base),
                  "no-leak: scmpd holds %d fds, no more than before (%d)" % (d.fds(), base))
            check(wait_for(lambda: not received_fds(d)),
                  "no-leak: no notify, /proc or regular-file fd left (%r)" % received_fds(d))
            check(not harness.log_problems(d), "no crash or failed answer in the log")
            print("---- abstract", flush=True)
            try:
                abstract(tmp)
            except Exception as e:
                check(False, "abstract raised %r" % (e,))
            if PLUGIN:
                print("---- stop", flush=True)
                try:
                    stop_in_flight(tmp)
                except Exception as e:
                    check(False, "stop raised %r" % (e,))
            print("---- restart", flush=True)
            try:
                restart(tmp, d, proxy)
            except Exception as e:
                check(False, "restart raised %r" % (e,))
        finally:
            d.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("lxc_proxy: %d failed" % len(harness.failures), flush=True)
    return 1 if harness.failures else 0


if __name__ == "__main__":
    sys.exit(main())
