#!/usr/bin/env python3
"""Tests deploy/container as far as it runs without a registry: the Containerfile's shape
(multi-stage Debian 12, non-root runtime user, OCI labels), runtime-packages on the built
binary (every library it loads, and the dlopen'ed TPM device TCTI, maps to an installed
Debian package), and the build script's command line."""
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(sys.argv[1]).resolve()
BINARY = sys.argv[2]
CONTAINER = ROOT / "deploy" / "container"
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


text = (CONTAINER / "Containerfile").read_text()
froms = re.findall(r"^FROM (\S+)", text, re.M)
check(froms == ["${DEBIAN}", "${DEBIAN}-slim"] and "ARG DEBIAN=docker.io/library/debian:12" in text,
      f"two stages on Debian 12 (build, slim runtime): {froms}")
runtime = text.split("FROM ${DEBIAN}-slim", 1)[-1]
user = re.findall(r"^USER (\S+)", runtime, re.M)
check(user and not user[-1].startswith(("0", "root")), f"the runtime stage runs as non-root: {user}")
for label in ("title", "description", "version", "licenses", "documentation"):
    check(f"org.opencontainers.image.{label}=" in runtime, f"label org.opencontainers.image.{label}")
check("build-essential" not in runtime and "-dev" not in runtime, "no build tools in the runtime stage")

r = subprocess.run([str(CONTAINER / "runtime-packages"), BINARY], capture_output=True, text=True)
packages = r.stdout.split()
check(r.returncode == 0, f"runtime-packages {BINARY}\n{r.stderr}".strip())
for needed in ("libtss2-tcti-device0", "libtss2-esys-3.0.2-0", "libssl3", "libsqlite3-0", "libaudit1",
               "libyaml-cpp0.7"):
    check(needed in packages, f"runtime packages include {needed}")
check(not any(p.endswith("-dev") for p in packages), f"no -dev package among {len(packages)} runtime packages")
for p in packages:
    q = subprocess.run(["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True)
    check("install ok installed" in q.stdout, f"{p} is an installed Debian package")
r = subprocess.run([str(CONTAINER / "runtime-packages"), "/nonexistent"], capture_output=True, text=True)
check(r.returncode != 0, "runtime-packages fails on a missing binary")

r = subprocess.run([str(CONTAINER / "build"), "--print", "--tag", "localhost/imawatch:test"],
                   capture_output=True, text=True)
tool_present = r.returncode == 0
if tool_present:
    check(re.fullmatch(r"(podman|buildah) build --file deploy/container/Containerfile --build-arg VERSION=\S+ "
                       r"--tag localhost/imawatch:test \.\n", r.stdout) is not None, f"build --print: {r.stdout!r}")
else:
    check("neither podman nor buildah" in r.stderr, f"build names what is missing: {r.stderr!r}")
r = subprocess.run([str(CONTAINER / "build"), "--bogus"], capture_output=True, text=True)
check(r.returncode == 2 and "usage" in r.stderr, "build refuses an unknown option")

print(f"{len(packages)} runtime packages: {' '.join(packages)}")
print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
