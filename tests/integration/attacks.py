#!/usr/bin/env python3
"""Hostile input against a live scmpd, counted by attack class (issue 12, docs/reliability.md).

Usage: attacks.py SCMPD LOAD plain|sanitized

While the load program (bench/soak's) keeps steady targets busy, every class below is thrown at
scmpd's two sockets. An attack succeeds if scmpd dies, adopts a listener from it, leaks an fd,
stops answering the steady targets or answers one wrongly; each class reports its attempts and
successes, and the test fails on any success.

  handoff-garbage    random bytes, with and without SCM_RIGHTS fds
  handoff-oversized  a payload past the 1 MiB limit, in one go and trickled
  handoff-nested     JSON nested 10^3 to 10^5 levels deep, arrays and objects
  handoff-wrong-fd   well-formed state naming a pipe, a memfd or nothing as seccompFd
  fd-flood           253 fds in one SCM_RIGHTS message, and several rights messages at once
  conn-flood         hundreds of handoff connections opened at once and held silent
  control-garbage    random request lines, unknown commands, wrong types
  control-oversized  a request line past the limit without a newline
  control-nested     request lines nested 10^3 to 10^5 levels deep
  control-pipeline   thousands of requests written without reading a reply, then gone
  control-flood      hundreds of control connections at once

SCMPD_ATTACKS_SCALE=N multiplies the attempts (the long mode); SCMPD_ATTACKS_SEED fixes the
random inputs (printed, so a failure can be replayed). Verdicts are on what happened, never on
how fast; every wait for scmpd is for an event, bounded generously (harness.WAIT).
"""
import os
import random
import signal
import socket
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check  # noqa: E402

SCMPD, LOAD = (os.path.abspath(a) for a in sys.argv[1:3])
SANITIZED = harness.SANITIZED = sys.argv[3] == "sanitized"
SCALE = max(1, int(os.environ.get("SCMPD_ATTACKS_SCALE", "1")))
SEED = int(os.environ.get("SCMPD_ATTACKS_SEED", str(int(time.time()))))
rng = random.Random(SEED)

CONFIG = {
    "limits": {"connections": 64, "handoff_timeout_ms": 1000},
    "policies": [
        {"name": "value", "match": {"metadata": "value"},
         "rules": [{"syscalls": ["getppid"], "chain": [{"value": 4242}]}]},
    ],
}


def n(base):
    """Attempts for a class: fewer under sanitizers, more in the long mode."""
    return max(1, (base // 4 if SANITIZED else base) * SCALE)


def connect(path, timeout=harness.WAIT):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def send_quietly(s, data, fds=None):
    """Send what scmpd lets us: it may close the connection half-way (that is its answer)."""
    try:
        if fds:
            socket.send_fds(s, [data[:4096]], fds)
            data = data[4096:]
        if data:
            s.sendall(data)
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass


accepted = 0  # hostile requests that scmpd answered as if they were valid


def drain(s, limit=1 << 20):
    """Read scmpd's replies until it closes or goes quiet; count any that accepts the attack."""
    global accepted
    got = b""
    try:
        s.settimeout(2)
        while len(got) < limit:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except OSError:
        pass
    if b'"ok":true' in got:
        accepted += 1
    return got


def state(seccomp_fd_names, pid=1):
    return ('{"ociVersion":"1.0.2","fds":%s,"pid":%d,"metadata":"value",'
            '"state":{"ociVersion":"1.0.2","id":"attack","status":"creating","pid":%d,'
            '"bundle":"/nonexistent"}}' % (seccomp_fd_names, pid, pid)).encode()


def nested(depth, obj):
    if obj:
        return b'{"a":' * depth + b"1" + b"}" * depth
    return b"[" * depth + b"]" * depth


# ---- the handoff socket ----

def handoff_garbage(d):
    null = os.open("/dev/null", os.O_RDONLY)
    count = n(400)
    for i in range(count):
        s = connect(d.handoff)
        data = rng.randbytes(rng.randint(1, 4096))
        if i % 3 == 0:
            data = b"{" + data  # past the first byte's sniffing
        send_quietly(s, data, [null] * rng.randint(1, 4) if i % 2 else None)
        drain(s)
        s.close()
    os.close(null)
    return count


def handoff_oversized(d):
    count = n(8)
    for i in range(count):
        s = connect(d.handoff)
        body = b'{"ociVersion":"1.0.2","metadata":"' + b"A" * (1024 * 1024 + 4096) + b'"}'
        if i % 2:
            # Trickled: past the limit in 64 KiB writes, the way a slow peer would.
            try:
                for k in range(0, len(body), 65536):
                    s.sendall(body[k:k + 65536])
            except OSError:
                pass
        else:
            send_quietly(s, body)
        drain(s)
        s.close()
    return count


def nested_attack(path, end):
    """JSON 10^3 to 10^5 levels deep, arrays and objects, one connection each."""
    count = 0
    for depth in (1000, 10000, 100000):
        for obj in (False, True):
            for _ in range(n(4)):
                s = connect(path)
                send_quietly(s, nested(depth, obj) + end)
                drain(s)
                s.close()
                count += 1
    return count


def handoff_nested(d):
    return nested_attack(d.handoff, b"")


def handoff_wrong_fd(d):
    count = n(40)
    r, w = os.pipe()
    memfd = os.memfd_create("attack")
    for i in range(count):
        s = connect(d.handoff)
        kind = i % 4
        if kind == 0:
            send_quietly(s, state('["seccompFd"]'), [r])          # a pipe, not a listener
        elif kind == 1:
            send_quietly(s, state('["seccompFd"]'), [memfd])      # a memfd
        elif kind == 2:
            send_quietly(s, state('["seccompFd"]'))               # named, never sent
        else:
            send_quietly(s, state('["seccompFd","seccompFd"]'), [r, memfd])  # named twice
        drain(s)
        s.close()
    for fd in (r, w, memfd):
        os.close(fd)
    return count


def fd_flood(d):
    count = n(40)
    null = os.open("/dev/null", os.O_RDONLY)
    for i in range(count):
        s = connect(d.handoff)
        try:
            if i % 2 == 0:
                socket.send_fds(s, [state('["seccompFd"]')], [null] * 253)
            else:
                for _ in range(8):
                    socket.send_fds(s, [b" "], [null] * 32)
                s.sendall(state('["seccompFd"]'))
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        drain(s)
        s.close()
    os.close(null)
    return count


def flood(path, count, hold):
    """Open `count` connections at once and hold them silent for `hold` seconds."""
    held = []
    for _ in range(count):
        try:
            held.append(connect(path, timeout=5))
        except OSError:
            break  # the backlog is full: that is the flood working, not scmpd failing
    time.sleep(hold)
    for s in held:
        s.close()
    return count


def conn_flood(d):
    return flood(d.handoff, n(400), 1.5)  # past handoff_timeout_ms: scmpd sheds them


# ---- the control socket ----

def control_garbage(d):
    count = n(400)
    bad_lines = [b'{"command":"nope"}', b'{"command":7}', b'{"command":"handler","name":{}}',
                 b'[]', b'"status"', b'{"command":"status"', b'\x00\xff\xfe']
    for i in range(count):
        s = connect(d.control)
        line = rng.choice(bad_lines) if i % 2 else rng.randbytes(rng.randint(1, 2048))
        send_quietly(s, line.replace(b"\n", b" ") + b"\n")
        drain(s)
        s.close()
    return count


def control_oversized(d):
    count = n(8)
    for _ in range(count):
        s = connect(d.control)
        send_quietly(s, b'{"command":"' + b"s" * (4 * 1024 * 1024))
        drain(s)
        s.close()
    return count


def control_nested(d):
    return nested_attack(d.control, b"\n")


def control_pipeline(d):
    count = n(8)
    for _ in range(count):
        s = connect(d.control)
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
            s.sendall(b'{"command":"listeners"}\n' * 20000)
        except OSError:
            pass
        time.sleep(0.05)
        s.close()  # never read a reply
    return count


def control_flood(d):
    return flood(d.control, n(300), 0.5)


ATTACKS = [
    ("handoff-garbage", handoff_garbage),
    ("handoff-oversized", handoff_oversized),
    ("handoff-nested", handoff_nested),
    ("handoff-wrong-fd", handoff_wrong_fd),
    ("fd-flood", fd_flood),
    ("conn-flood", conn_flood),
    ("control-garbage", control_garbage),
    ("control-oversized", control_oversized),
    ("control-nested", control_nested),
    ("control-pipeline", control_pipeline),
    ("control-flood", control_flood),
]


REFUSED_ONE_BY_ONE = ("handoff-garbage", "handoff-oversized", "handoff-nested",
                      "handoff-wrong-fd", "fd-flood")


def handoff_refusals(d):
    with open(d.log, errors="replace") as f:
        return sum(1 for line in f if "handoff connection" in line and "closed" in line)


def settle_fds(d, want):
    """scmpd's fd count once the connections it is still closing are gone (up to WAIT)."""
    end = time.monotonic() + harness.WAIT
    while d.fds() > want and time.monotonic() < end:
        time.sleep(0.1)
    return d.fds()


def settle_refusals(d, since, want):
    """Handoff refusals logged since `since`, once `want` of them are (or WAIT passed)."""
    end = time.monotonic() + harness.WAIT
    while handoff_refusals(d) - since < want and time.monotonic() < end:
        time.sleep(0.1)
    return handoff_refusals(d) - since


def main():
    print("attacks: seed %d, scale %d" % (SEED, SCALE), flush=True)
    tmp = tempfile.mkdtemp(prefix="scmpd-attacks.")
    d = harness.Daemon(SCMPD, tmp, "main", CONFIG)
    rows = []
    try:
        # Steady targets (their listeners are scmpd's only ones) run through every attack.
        seconds = 600
        load = harness.start_load(LOAD, d, seconds, "--steady", "2:value:value:4242",
                                  "--monitors", "0")
        base = None
        end = time.monotonic() + harness.WAIT
        while time.monotonic() < end:
            st = d.status(quiet=True)
            if st and st["counts"]["listeners"] == 2:
                base = st
                break
            time.sleep(0.02)
        check(base is not None, "the steady targets' two listeners are served")
        fds0 = settle_fds(d, 0)
        for name, attack in ATTACKS:
            t0 = time.monotonic()
            refusals0, accepted0 = handoff_refusals(d), accepted
            attempts = attack(d)
            alive = d.alive()
            st = d.status() if alive else None
            listeners = st["counts"]["listeners"] if st else -1
            fds = settle_fds(d, fds0) if alive else -1
            refused = settle_refusals(d, refusals0,
                                      attempts if name in REFUSED_ONE_BY_ONE else 0)
            # Each hostile handoff is refused and logged once, with its reason: proof that it
            # reached the parser rather than bouncing off a full backlog.
            reached = refused >= attempts if name in REFUSED_ONE_BY_ONE else True
            ok = alive and listeners == 2 and fds <= fds0
            successes = (accepted - accepted0) + (0 if ok else 1)
            rows.append((name, attempts, successes))
            check(successes == 0 and reached,
                  "%s: %d attempts in %.1f s, %d handoff refusals logged, %d accepted; scmpd %s, "
                  "%d listeners (the steady targets' 2), fds %d -> %d"
                  % (name, attempts, time.monotonic() - t0, refused, accepted - accepted0,
                     "alive" if alive else "DEAD", listeners, fds0, fds))
        load.send_signal(signal.SIGUSR1)  # the load ends now and prints its figures
        r = harness.finish_load(load, harness.WAIT)
        calls = int(r["classes"].get("value", {}).get("calls", 0))
        check(r["wrong"] == "0" and calls > 0,
              "the steady targets were answered 4242 throughout: %d calls, %s wrong"
              % (calls, r["wrong"]))
        problems = harness.log_problems(d)
        check(not problems, "no failed answer or sanitizer report in scmpd's log %s"
              % problems[:3])
    finally:
        rc = d.stop()
    check(rc == 0, "scmpd exited cleanly at SIGTERM (%s)" % rc)
    print("| class | attempts | successes |", flush=True)
    for name, attempts, succ in rows:
        print("| %s | %d | %d |" % (name, attempts, succ), flush=True)
    if harness.failures:
        print("%d check(s) failed; logs in %s" % (len(harness.failures), tmp), flush=True)
        return 1
    os.system("rm -rf '%s'" % tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
