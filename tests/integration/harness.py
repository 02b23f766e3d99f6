"""What the Python tests of a live scmpd share (faults.py, attacks.py): a daemon started with its
own sockets and policy, the load program (bench/soak's) run against it, checks that are counted,
and the log lines that would mean a wrong answer or a crash."""
import json
import os
import re
import resource
import signal
import socket
import subprocess
import time

failures = []
SANITIZED = False  # set by the test: ASan's quarantine is bounded when it is
# The bound on any wait for an event (scmpd up, a reply, a load's end): generous, because a
# loaded machine running scmpd under ASan is slow, and a wait that ends on its event costs
# nothing. Tests check correctness, never how soon something happened.
WAIT = 120


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what, flush=True)
    if not cond:
        failures.append(what)
    return cond


class Daemon:
    def __init__(self, scmpd, tmp, name, conf, env=None, nofile=None):
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir)
        self.handoff = os.path.join(self.dir, "h.sock")
        self.control = os.path.join(self.dir, "c.sock")
        self.log = os.path.join(self.dir, "scmpd.log")
        self.config = cpath = os.path.join(self.dir, "scmpd.json")
        with open(cpath, "w") as f:
            json.dump(conf, f)

        def limit():
            if nofile:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        env = dict(os.environ, **(env or {}))
        if SANITIZED:
            # ASan's quarantine (256 MB by default) holds freed memory back on purpose: bound it
            # so that RSS says something about scmpd, not about the quarantine.
            env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=8"
        self.proc = subprocess.Popen(
            [scmpd, "--foreground", "--log-target", "stderr", "--log-level", "info", "--config",
             cpath, "--listen", self.handoff, "--control", self.control],
            stdout=subprocess.DEVNULL, stderr=open(self.log, "w"), preexec_fn=limit,
            env=env)
        start = time.monotonic()
        while time.monotonic() - start < WAIT:
            if os.path.exists(self.control) and self.status(quiet=True):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError("scmpd did not start: " + open(self.log).read()[-2000:])

    def request(self, command):
        """One control request; its result, or None when it failed."""
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(WAIT)
            s.connect(self.control)
            s.sendall(json.dumps({"command": command}).encode() + b"\n")
            buf = b""
            while not buf.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
            s.close()
            reply = json.loads(buf)
        except (OSError, ValueError):
            return None
        return reply.get("result", reply) if reply.get("ok", True) else None

    def status(self, quiet=False):
        start = time.monotonic()
        while True:
            st = self.request("status")
            if st and "counts" in st:
                return st
            if quiet or time.monotonic() - start > WAIT:
                return None
            time.sleep(0.1)

    def log_text(self):
        with open(self.log) as f:
            return f.read()

    def fds(self):
        return len(os.listdir("/proc/%d/fd" % self.proc.pid))

    def rss(self):
        for line in open("/proc/%d/status" % self.proc.pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return -1

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return "hung at SIGTERM"
        return self.proc.returncode


def start_load(load_bin, d, seconds, *args):
    """Start the load program against d for `seconds`; finish_load() reads its figures."""
    cmd = [load_bin, "--socket", d.handoff, "--control", d.control, "--pid", str(d.proc.pid),
           "--seconds", str(seconds), "--interval", str(seconds)] + list(args)
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish_load(p, timeout):
    """The load's summary and class lines as dicts, once it has ended."""
    try:
        stdout, stderr = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        try:
            stdout, stderr = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            # Something the load started outlived it and still holds its output pipes.
            stdout, stderr = "", "bench-soak: killed at its deadline; its pipes stayed open"
    out = {"rc": p.returncode, "classes": {}}
    for line in stdout.splitlines():
        kv = dict(re.findall(r"(\w+)=(\S+)", line))
        if line.startswith("summary"):
            out.update(kv)
        elif line.startswith("class"):
            out["classes"][kv["meta"]] = kv
    if "bench-soak:" in stderr:
        print(stderr, flush=True)  # e.g. where a stalled churn target was (soak.c report_stall)
    if "wrong" not in out:
        print(stdout + stderr, flush=True)
        out.update(wrong="-1", scmpd_alive="0")
    return out


def load(load_bin, d, seconds, *args):
    """One run of the load program against d; its summary and class lines as dicts. The bound
    covers --min-churn's extension and the churner's last target (soak.c STALL_GIVE_UP_S)."""
    return finish_load(start_load(load_bin, d, seconds, *args), seconds + 2 * WAIT + 60)


def log_problems(d):
    """Log lines that would mean a wrong or failed answer, or a crash."""
    bad = re.compile(r"answering tid .* failed|AddressSanitizer|runtime error|Segmentation")
    return [l for l in open(d.log) if bad.search(l)]
