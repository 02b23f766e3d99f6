#!/usr/bin/env python3
"""From an `strace -f -o FILE` of a test run, the system calls of every scmpd process (the
exec'd daemon, its threads and its forked helpers), split into before and after the daemon
loaded its own filter, with ENOSYS results counted. Usage: scmpd-syscalls.py FILE [NAME]."""
import re, sys, collections
path = sys.argv[1]
exe = sys.argv[2] if len(sys.argv) > 2 else '/daemon/scmpd'
line_re = re.compile(r'^(\d+) +(?:<\.\.\. ([a-z_0-9]+) resumed>|([a-z_0-9]+)\()(.*)$')
root = {}          # pid -> scmpd exec pid it belongs to
filtered = set()   # exec pids whose own filter is loaded
before = collections.Counter(); after = collections.Counter(); enosys = collections.Counter()
pending = {}       # pid -> syscall name of an unfinished call
for line in open(path, errors='replace'):
    m = line_re.match(line)
    if not m:
        continue
    pid = int(m.group(1)); name = m.group(2) or m.group(3); rest = m.group(4)
    if m.group(3) and '<unfinished' in rest:
        pending[pid] = (name, rest)
    elif m.group(2):
        rest = pending.pop(pid, (name, ''))[1] + rest  # the call's arguments and its result
    if name == 'execve':
        if '<unfinished' in rest and not m.group(2):
            continue
        if re.search(r'= 0\s*$', rest):
            if re.match(r'"[^"]*' + re.escape(exe) + '"', rest):
                root[pid] = pid
            else:
                root.pop(pid, None)
        continue
    if '<unfinished' in rest and not m.group(2):
        continue
    r = root.get(pid)
    if name in ('clone', 'clone3', 'fork', 'vfork') and r is not None:
        mm = re.search(r'= (\d+)\s*$', rest)
        if mm and int(mm.group(1)) > 0:
            root[int(mm.group(1))] = r
    if r is None:
        continue
    if name == 'seccomp' and 'SECCOMP_SET_MODE_FILTER' in rest and 'TSYNC' in rest \
            and re.search(r'= 0\s*$', rest):
        filtered.add(r)
        continue
    (after if r in filtered else before)[name] += 1
    if r in filtered and re.search(r'= -1 ENOSYS', rest):
        enosys[name] += 1
print('# scmpd processes:', len({v for v in root.values()}), 'with their own filter:', len(filtered))
print('# after the filter: %d distinct system calls, %d calls' % (len(after), sum(after.values())))
for n, c in sorted(after.items(), key=lambda x: -x[1]):
    print('after', n, c, ('ENOSYS %d' % enosys[n]) if enosys[n] else '')
for n, c in sorted(before.items(), key=lambda x: -x[1]):
    if n not in after:
        print('before-only', n, c)
