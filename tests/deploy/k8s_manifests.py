#!/usr/bin/env python3
"""deploy/kubernetes/, checked without a cluster (docs/kubernetes.md, "What was verified").

Every YAML file parses; the kustomization's resources and generated ConfigMaps exist; the policy
passes `scmpd --check-config` and every localhost profile compiles with `scmpctl compile`, names
scmpd's socket as its listenerPath and a metadata some policy matches; the DaemonSet has what
the page relies on (host PID, the socket directory, the ConfigMaps where scmpd and the profile
installer read them, the unit's capabilities, the textfile directory the metrics sidecar writes,
OnDelete updates); the example pod uses a profile the DaemonSet installs. Then, where they are
installed, yamllint (Debian) and the Kubernetes API schemas of the npm package kubernetes-models
(offline) judge every object. Usage: k8s_manifests.py (SCMPD_SOURCE_ROOT, SCMPD_BIN and
SCMPCTL_BIN from the environment; SCMPD_K8S_MODELS may name the kubernetes-models directory).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    print("skip: python3-yaml is not installed")
    sys.exit(77)

SRC = os.environ.get("SCMPD_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
K8S = os.path.join(SRC, "deploy", "kubernetes")
HERE = os.path.dirname(os.path.abspath(__file__))
SOCKET = "/run/scmpd/scmpd.sock"
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
        print("ok    " + what)
    else:
        failed += 1
        print("FAIL  " + what)
    return cond


def load_docs(name):
    with open(os.path.join(K8S, name)) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def by_name(items, name):
    return next((i for i in items or [] if i.get("name") == name), None)


def main():
    files = sorted(f for f in os.listdir(K8S) if f.endswith(".yaml"))
    docs = {}
    for f in files:
        try:
            docs[f] = load_docs(f)
            check(True, "%s parses (%d documents)" % (f, len(docs[f])))
        except yaml.YAMLError as e:
            check(False, "%s parses: %s" % (f, e))
            return
    kust = docs["kustomization.yaml"][0]
    ns = kust.get("namespace")
    objects = []
    for r in kust.get("resources", []):
        check(r in docs, "kustomization resource %s exists" % r)
        objects += docs.get(r, [])
    for o in objects:
        if o.get("kind") != "Namespace":
            o.setdefault("metadata", {})["namespace"] = ns
    check(any(o["kind"] == "Namespace" and o["metadata"]["name"] == ns for o in objects),
          "the kustomization's namespace %s is created" % ns)
    check(kust.get("generatorOptions", {}).get("disableNameSuffixHash") is True,
          "ConfigMaps keep their names (a policy change is a reload, not new pods)")

    # The generated ConfigMaps, as kustomize makes them: key=file or the file's base name.
    cms = {}
    for g in kust.get("configMapGenerator", []):
        data = {}
        for spec in g.get("files", []):
            key, _, path = spec.partition("=") if "=" in spec else (os.path.basename(spec), "", spec)
            with open(os.path.join(K8S, path)) as f:
                data[key] = f.read()
        cms[g["name"]] = data
        objects.append({"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": g["name"], "namespace": ns}, "data": data})
    config = cms.get("scmpd-config", {})
    profiles = cms.get("scmpd-seccomp-profiles", {})
    check("scmpd.json" in config, "ConfigMap scmpd-config has scmpd.json")
    check(profiles, "ConfigMap scmpd-seccomp-profiles has profiles")

    # The policy and the profiles, through scmpd's and scmpctl's own checks.
    with tempfile.TemporaryDirectory(prefix="scmpd-k8s-") as tmp:
        pol = os.path.join(tmp, "scmpd.json")
        with open(pol, "w") as f:
            f.write(config.get("scmpd.json", "{}"))
        r = subprocess.run([os.environ["SCMPD_BIN"], "--config", pol, "--check-config"],
                           capture_output=True, text=True)
        check(r.returncode == 0, "the policy passes scmpd --check-config (%s)"
              % (r.stdout + r.stderr).strip())
        policy = json.loads(config.get("scmpd.json", "{}"))
        metas = {p.get("match", {}).get("metadata") for p in policy.get("policies", [])}
        for name, text in profiles.items():
            path = os.path.join(tmp, name)
            with open(path, "w") as f:
                f.write(text)
            r = subprocess.run([os.environ["SCMPCTL_BIN"], "compile", path, "-o",
                                os.path.join(tmp, name + ".bpf")], capture_output=True, text=True)
            check(r.returncode == 0, "profile %s compiles (%s)" % (name, r.stderr.strip()))
            p = json.loads(text)
            check(p.get("listenerPath") == SOCKET, "profile %s: listenerPath %s" % (name, SOCKET))
            check(p.get("listenerMetadata") in metas,
                  "profile %s: its listenerMetadata is one a policy matches" % name)
            check(any(s.get("action") == "SCMP_ACT_NOTIFY" for s in p.get("syscalls", [])),
                  "profile %s notifies something" % name)
            check(isinstance(p.get("syscalls"), list) and
                  all(isinstance(s.get("names"), list) for s in p["syscalls"]),
                  "profile %s is in the OCI format containerd reads (names lists)" % name)
        annotations = [k for p in policy.get("policies", [])
                       for k in p.get("match", {}).get("annotations", {})]
        for key in ("io.kubernetes.cri.sandbox-namespace", "io.kubernetes.pod.namespace"):
            check(key in annotations, "a policy matches pods on %s" % key)

    # The DaemonSet.
    ds = next((o for o in objects if o.get("kind") == "DaemonSet"), None)
    if not check(ds is not None, "there is a DaemonSet"):
        return
    spec = ds["spec"]["template"]["spec"]
    check(spec.get("hostPID") is True, "DaemonSet: hostPID (notification pids are host pids)")
    check(ds["spec"].get("updateStrategy", {}).get("type") == "OnDelete",
          "DaemonSet: updates OnDelete (a replaced pod drops its listeners)")
    vols = {v["name"]: v for v in spec.get("volumes", [])}

    def host(name):
        return vols.get(name, {}).get("hostPath", {}).get("path")

    def mount(container, path):
        m = next((m for m in container.get("volumeMounts", []) if m["mountPath"] == path), None)
        return vols.get(m["name"]) if m else None

    scmpd = by_name(spec.get("containers"), "scmpd")
    metrics = by_name(spec.get("containers"), "metrics")
    init = by_name(spec.get("initContainers"), "install-profiles")
    if not check(scmpd and metrics and init, "containers scmpd, metrics and install-profiles"):
        return
    run = mount(scmpd, os.path.dirname(SOCKET))
    check(run and run.get("hostPath", {}).get("path") == os.path.dirname(SOCKET),
          "scmpd: %s is the node's (hostPath), where runtimes connect" % os.path.dirname(SOCKET))
    check(mount(metrics, os.path.dirname(SOCKET)) is run,
          "metrics: shares %s (the control socket)" % os.path.dirname(SOCKET))
    args = scmpd.get("args", [])
    cfg = args[args.index("--config") + 1] if "--config" in args else "/etc/scmpd/scmpd.json"
    cv = mount(scmpd, os.path.dirname(cfg))
    check(cv and cv.get("configMap", {}).get("name") == "scmpd-config"
          and os.path.basename(cfg) in config,
          "scmpd: --config %s is the ConfigMap's scmpd.json" % cfg)
    check("--foreground" in args, "scmpd: runs in the foreground")
    env = {e["name"]: e.get("value") for e in scmpd.get("env", [])}
    st = mount(scmpd, env.get("STATE_DIRECTORY", "-"))
    check(st and st.get("hostPath", {}).get("path") == "/var/lib/scmpd",
          "scmpd: STATE_DIRECTORY (the audit store) is on the node")
    sc = scmpd.get("securityContext", {})
    with open(os.path.join(SRC, "units", "scmpd.service.in")) as f:
        m = re.search(r"^CapabilityBoundingSet=(.*)$", f.read(), re.M)
    unit_caps = {c[4:] for c in m.group(1).split()} if m else set()
    check(set(sc.get("capabilities", {}).get("add", [])) == unit_caps and unit_caps,
          "scmpd: the capabilities are the unit's CapabilityBoundingSet (%s)"
          % " ".join(sorted(unit_caps)))
    check(sc.get("capabilities", {}).get("drop") == ["ALL"], "scmpd: every other capability dropped")
    check(sc.get("seccompProfile", {}).get("type") == "Unconfined",
          "scmpd: seccomp Unconfined (it loads its own filter; the default refuses setns, mount)")
    pv = mount(init, "/profiles")
    check(pv and pv.get("configMap", {}).get("name") == "scmpd-seccomp-profiles",
          "install-profiles: reads the profiles ConfigMap")
    cmd = " ".join(init.get("command", []))
    seccomp_dir = next((m["mountPath"] for m in init.get("volumeMounts", [])
                        if host(m["name"]) == "/var/lib/kubelet/seccomp"), None)
    check(seccomp_dir and (seccomp_dir + "/scmpd/") in cmd,
          "install-profiles: copies them to /var/lib/kubelet/seccomp/scmpd/ on the node")
    mcmd = " ".join(metrics.get("command", []))
    mm = re.search(r"scmpctl metrics -o (\S+)", mcmd)
    tv = mount(metrics, os.path.dirname(mm.group(1))) if mm else None
    check(tv and tv.get("hostPath", {}).get("path") == "/var/lib/node_exporter/textfile",
          "metrics: scmpctl metrics -o writes into the node's textfile directory")
    jv = mount(scmpd, "/run/systemd/journal")
    check(jv and jv.get("hostPath", {}).get("path") == "/run/systemd/journal",
          "scmpd: journald's socket of the node (logs go to the node's journal)")

    # The example pod.
    pod = docs["example-pod.yaml"][0]
    lp = pod["spec"].get("securityContext", {}).get("seccompProfile", {})
    check(lp.get("type") == "Localhost" and lp.get("localhostProfile", "").startswith("scmpd/")
          and lp.get("localhostProfile", "")[len("scmpd/"):] in profiles,
          "example pod: a Localhost profile the DaemonSet installs (%s)" % lp.get("localhostProfile"))
    check(any(pod["metadata"].get("namespace", "").startswith(p.get("match", {}).get(
        "annotations", {}).get("io.kubernetes.cri.sandbox-namespace", "\0").rstrip("*"))
        for p in policy.get("policies", [])), "example pod: its namespace is one a policy matches")
    objects.append(pod)

    # Linters and schemas, where installed.
    lint = shutil.which("yamllint")
    if lint:
        conf = "{extends: default, rules: {line-length: {max: 100}, document-start: disable}}"
        r = subprocess.run([lint, "-d", conf] + [os.path.join(K8S, f) for f in files],
                           capture_output=True, text=True)
        check(r.returncode == 0, "yamllint: no findings %s" % r.stdout.strip())
    else:
        print("skip  yamllint is not installed")
    models = os.environ.get("SCMPD_K8S_MODELS")
    node = shutil.which("node")
    if not models and shutil.which("npm"):
        r = subprocess.run(["npm", "root", "-g"], capture_output=True, text=True)
        models = os.path.join(r.stdout.strip(), "kubernetes-models")
    if node and models and os.path.isfile(os.path.join(models, "apps", "v1", "DaemonSet.js")):
        r = subprocess.run([node, os.path.join(HERE, "k8s_validate.mjs"), models],
                           input=json.dumps(objects), capture_output=True, text=True)
        for line in r.stdout.splitlines():
            print("      " + line)
        check(r.returncode == 0, "kubernetes-models: every object is valid against the API schemas"
              " (%s)" % r.stderr.strip()[-300:])
        # The schemas must be able to say no.
        bad = json.loads(json.dumps(ds))
        bad["spec"]["template"]["spec"]["hostPID"] = "yes"
        r = subprocess.run([node, os.path.join(HERE, "k8s_validate.mjs"), models],
                           input=json.dumps([bad]), capture_output=True, text=True)
        check(r.returncode == 1, "kubernetes-models: a DaemonSet with hostPID \"yes\" is refused")
    else:
        print("skip  the npm package kubernetes-models is not installed (npm install -g "
              "kubernetes-models)")


if __name__ == "__main__":
    main()
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
