#!/usr/bin/env python3
"""Tests deploy/prometheus: the rules load, their promtool unit tests pass, every alert is
documented and tested firing and not firing, the tests catch a broken alert, a broken rules
file is refused, and the PrometheusRule manifest is the generated one."""
import pathlib
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parents[2]).resolve()
PROM = ROOT / "deploy" / "prometheus"
RULES = PROM / "imawatch.rules.yml"
TESTS = PROM / "tests" / "alerts_test.yml"
BROKEN = PROM / "tests" / "broken.rules.yml"
RUNBOOK = ROOT / "doc" / "runbook.md"

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def promtool(*args):
    return subprocess.run(["promtool", *map(str, args)], capture_output=True, text=True)


def anchor(heading):
    # GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes.
    return re.sub(r"[^a-z0-9 _-]", "", heading.strip().lower()).replace(" ", "-")


rules = yaml.safe_load(RULES.read_text())
alerts = [r for g in rules["groups"] for r in g["rules"] if "alert" in r]
tests = yaml.safe_load(TESTS.read_text())
anchors = {anchor(line[3:]) for line in RUNBOOK.read_text().splitlines() if line.startswith("## ")}

r = promtool("check", "rules", RULES)
check(r.returncode == 0, f"promtool check rules {RULES.name}\n{r.stdout}{r.stderr}".strip())
r = promtool("test", "rules", TESTS)
check(r.returncode == 0, f"promtool test rules {TESTS.name}\n{r.stdout}{r.stderr}".strip())

for alert in alerts:
    name = alert["alert"]
    notes = alert.get("annotations", {})
    for key in ("summary", "description", "runbook_url"):
        check(bool(notes.get(key)), f"{name} has {key}")
    check(alert.get("labels", {}).get("severity") in ("warning", "critical"), f"{name} has a severity")
    url = notes.get("runbook_url", "")
    check(url.endswith("doc/runbook.md#" + name.lower()) and name.lower() in anchors,
          f"{name}'s runbook_url points at its section of doc/runbook.md")
    cases = [c for t in tests["tests"] for c in t.get("alert_rule_test", []) if c["alertname"] == name]
    check(any(c.get("exp_alerts") for c in cases), f"{name} is tested firing")
    check(any(not c.get("exp_alerts") for c in cases), f"{name} is tested not firing")

    # Mutation: the alert that never fires must make the unit tests fail.
    with tempfile.TemporaryDirectory() as tmp:
        broken = yaml.safe_load(RULES.read_text())
        for g in broken["groups"]:
            for rule in g["rules"]:
                if rule.get("alert") == name:
                    rule["expr"] = "vector(1) < 0"
        (pathlib.Path(tmp) / "imawatch.rules.yml").write_text(yaml.safe_dump(broken))
        (pathlib.Path(tmp) / "tests").mkdir()
        (pathlib.Path(tmp) / "tests" / "alerts_test.yml").write_text(TESTS.read_text())
        r = promtool("test", "rules", pathlib.Path(tmp) / "tests" / "alerts_test.yml")
        check(r.returncode != 0 and name in r.stdout + r.stderr,
              f"the unit tests fail when {name} never fires")

# Every metric a rule reads is documented (doc/metrics.md) or recorded by the rules. The sink
# metrics are documented by the sinks work; drop them from this set once doc/metrics.md lists them.
SINK_METRICS = {"imawatch_sink_messages_sent_total", "imawatch_sink_messages_failed_total",
                "imawatch_sink_messages_dropped_total", "imawatch_sink_retries_total",
                "imawatch_sink_queue_messages", "imawatch_sink_oldest_message_age_seconds"}
documented = set(re.findall(r"^\| `(imawatch_[a-z0-9_]+)`", (ROOT / "doc" / "metrics.md").read_text(), re.M))
recorded = {r["record"] for g in rules["groups"] for r in g["rules"] if "record" in r}
for g in rules["groups"]:
    for rule in g["rules"]:
        names = set(re.findall(r"\b(imawatch[a-z0-9_:]*)", re.sub(r'"[^"]*"', '""', rule["expr"])))
        unknown = names - documented - recorded - SINK_METRICS
        check(not unknown, f"{rule.get('alert') or rule.get('record')} reads documented metrics {sorted(unknown) or ''}")

r = promtool("check", "rules", BROKEN)
check(r.returncode != 0 and "could not parse expression" in r.stdout + r.stderr
      and "field 'expr' must be set" in r.stdout + r.stderr,
      f"promtool check rules refuses {BROKEN.name}")

r = subprocess.run([sys.executable, PROM / "generate", "--check"], capture_output=True, text=True)
check(r.returncode == 0, f"the committed PrometheusRule manifest is the generated one\n{r.stdout}{r.stderr}".strip())

# The generated test variant (short `for:`) is a valid rules file with every alert's `for:` set.
r = subprocess.run([sys.executable, PROM / "generate", "--rules", "--for", "1s"], capture_output=True, text=True)
variant = yaml.safe_load(r.stdout)
fors = [rule.get("for") for g in variant["groups"] for rule in g["rules"] if "alert" in rule]
check(r.returncode == 0 and fors == ["1s"] * len(alerts), "generate --rules --for 1s sets every alert's for")

r = subprocess.run([sys.executable, PROM / "generate", "--rules", "--threshold", "cis-kubernetes-v1.7.1=0.5"],
                   capture_output=True, text=True)
variant = yaml.safe_load(r.stdout)
thresholds = {rule["labels"]["benchmark"]: rule["expr"] for g in variant["groups"] for rule in g["rules"]
              if rule.get("record") == "imawatch:compliance_threshold:ratio"}
check(r.returncode == 0 and thresholds.get("cis-kubernetes-v1.7.1") == "vector(0.5)"
      and len(thresholds) == 2, f"generate --threshold replaces a benchmark's threshold: {thresholds}")
r = subprocess.run([sys.executable, PROM / "generate", "--threshold", "cis=high"], capture_output=True, text=True)
check(r.returncode == 2 and "BENCHMARK=RATIO" in r.stderr, "generate refuses a bad --threshold")

print(f"{len(alerts)} alerts, {len(failures)} failure(s)")
sys.exit(1 if failures else 0)
