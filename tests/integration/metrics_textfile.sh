#!/bin/bash
# `scmpctl metrics -o FILE` read by the real thing: Debian's prometheus-node-exporter with only
# its textfile collector, on a loopback port, scraped over HTTP. Every scmpd counter must come
# out typed as a counter (the collector reads the Prometheus text format 0.0.4, where a TYPE line
# must name the sample, `_total` included; otherwise it reports the metric as untyped), the
# histograms as histograms, and the collector must report no parse error. Root for scmpd's
# notifications (exit 77 without root or without the exporter).
set -u
export LC_ALL=C
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
EXPORTER=$(command -v prometheus-node-exporter || true)
[ -n "$EXPORTER" ] || { echo "skip: prometheus-node-exporter is not installed"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
T=$(mktemp -d /tmp/scmpd-metrics.XXXXXX)
DPID="" EPID=""
cleanup() {
        [ -n "$EPID" ] && { kill "$EPID" 2>/dev/null; wait "$EPID" 2>/dev/null; }
        [ -n "$DPID" ] && { kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; }
        rm -rf "$T"
}
trap cleanup EXIT

cat >"$T/p.json" <<'EOF'
{ "default": { "errno": "ENOSYS" },
  "policies": [ { "rules": [ { "syscalls": ["mkdir", "mkdirat"], "chain": ["continue"] },
                             { "syscalls": ["mount"], "chain": [{ "errno": "EPERM" }] } ] } ] }
EOF
"$SCMPD_BIN" --config "$T/p.json" --listen "$T/h.sock" --control "$T/c.sock" --log-target stderr \
        2>"$T/scmpd.log" </dev/null &
DPID=$!
for _ in $(seq 1 600); do [ -S "$T/c.sock" ] && [ -S "$T/h.sock" ] && break; sleep 0.1; done
export SCMPD_CONTROL_SOCKET=$T/c.sock
timeout -k 5 120 "$SCMPCTL_BIN" run --handoff "$T/h.sock" -- mkdir "$T/x" >/dev/null 2>&1 ||
        bad "scmpctl run mkdir failed"
mkdir -p "$T/textfile"
timeout -k 5 60 "$SCMPCTL_BIN" metrics -o "$T/textfile/scmpd.prom" || bad "scmpctl metrics -o failed"
grep -q '^scmpd_notifications_total{syscall="mkdir",verdict="continue"} 1$' "$T/textfile/scmpd.prom" &&
        ok "the file counts the mkdir" || bad "no mkdir sample in $(head -5 "$T/textfile/scmpd.prom")"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$EXPORTER" --web.listen-address="127.0.0.1:$port" --collector.disable-defaults \
        --collector.textfile --collector.textfile.directory="$T/textfile" >"$T/exporter.log" 2>&1 &
EPID=$!
python3 - "$port" "$T/scrape" <<'EOP' || bad "could not scrape the exporter: $(tail -3 "$T/exporter.log")"
import sys, time, urllib.request
port, out = sys.argv[1], sys.argv[2]
for _ in range(600):  # generous: the exporter starts when it starts
    try:
        body = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % port, timeout=30).read()
        open(out, "wb").write(body)
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
EOP
python3 - "$T/scrape" "$T/textfile/scmpd.prom" <<'EOP'
import re, sys
scrape = open(sys.argv[1]).read()
mine = open(sys.argv[2]).read()
fails = 0
def check(what, cond):
    global fails
    print(("ok: " if cond else "FAIL: ") + what)
    fails += not cond
types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", scrape, re.M))
check("the textfile collector reported no error",
      re.search(r"^node_textfile_scrape_error 0$", scrape, re.M) is not None)
counters = sorted(set(re.findall(r"^(scmpd_\w+_total)[{ ]", mine, re.M)))
check("the file has counters (%s)" % ", ".join(counters), len(counters) >= 3)
for name in counters:
    check("%s is a counter to the exporter (%s)" % (name, types.get(name)), types.get(name) == "counter")
for name in ("scmpd_notification_latency_seconds", "scmpd_handler_latency_seconds"):
    if name + "_count" in mine:
        check("%s is a histogram to the exporter" % name, types.get(name) == "histogram")
for name in ("scmpd_listeners", "scmpd_uptime_seconds"):
    check("%s is a gauge to the exporter" % name, types.get(name) == "gauge")
check("no scmpd metric is untyped",
      not [n for n, t in types.items() if n.startswith("scmpd_") and t == "untyped"])
check("the mkdir sample went through",
      re.search(r'^scmpd_notifications_total\{syscall="mkdir",verdict="continue"\} 1$', scrape, re.M)
      is not None)
sys.exit(1 if fails else 0)
EOP
[ $? -eq 0 ] && ok "the node exporter reads every scmpd metric with its type" ||
        { bad "the node exporter's view"; grep -E '^# TYPE scmpd|textfile' "$T/scrape" | head -20; }
echo "metrics-textfile: $pass passed, $fail failed"
[ $fail -eq 0 ]
