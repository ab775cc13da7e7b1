#!/usr/bin/env python3
"""Tests deploy/grafana: each dashboard parses, its panels are well formed, every PromQL
expression (targets and template variables, with Grafana's variables substituted) parses
with promtool, and every metric it names exists in doc/metrics.md or is recorded by the
shipped rules. A broken expression and an unknown metric must be caught."""
import json
import pathlib
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = pathlib.Path(sys.argv[1]).resolve()
RULES = yaml.safe_load((ROOT / "deploy" / "prometheus" / "imawatch.rules.yml").read_text())
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


DOCUMENTED = set(re.findall(r"^\| `(imawatch_[a-z0-9_]+)`", (ROOT / "doc" / "metrics.md").read_text(), re.M))
RECORDED = {r["record"] for g in RULES["groups"] for r in g["rules"] if "record" in r}
KNOWN = DOCUMENTED | RECORDED
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h"}


def promql(expr):
    for var, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(var, value)
    expr = re.sub(r"\$\{?[a-z_]+\}?", ".*", expr)  # dashboard variables: regex matchers
    m = re.fullmatch(r"\s*label_values\(\s*(.+?)\s*,\s*\w+\s*\)\s*", expr)
    return m.group(1) if m else expr


def metrics_in(expr):
    # Names followed by `{`, `[`, `)`, whitespace or the end, outside label matchers' values.
    without_strings = re.sub(r'"[^"]*"', '""', expr)
    return set(re.findall(r"\b(imawatch[a-z0-9_:]*)", without_strings))


def parse_all(exprs):
    """promtool check rules on one recording rule per expression: {expr: error or ''}."""
    rules = {"groups": [{"name": "dashboard", "rules": [{"record": f"dashboard:expr{i}", "expr": e}
                                                         for i, e in enumerate(exprs)]}]}
    with tempfile.NamedTemporaryFile("w", suffix=".yml") as f:
        yaml.safe_dump(rules, f)
        f.flush()
        r = subprocess.run(["promtool", "check", "rules", f.name], capture_output=True, text=True)
    errors = {}
    for i, e in enumerate(exprs):
        m = re.search(rf'rule {i + 1}, "dashboard:expr{i}": (.*)', r.stdout + r.stderr)
        errors[e] = m.group(1) if m else ""
    return r.returncode, errors


def expressions(dashboard):
    out = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            out.append((f"panel '{panel['title']}' {target['refId']}", target["expr"]))
    for var in dashboard.get("templating", {}).get("list", []):
        if var.get("type") == "query":
            out.append((f"variable ${var['name']}", var["query"]["query"]))
    return out


dashboards = sorted((ROOT / "deploy" / "grafana").glob("*.json"))
check(len(dashboards) > 0, "deploy/grafana has dashboards")
for path in dashboards:
    try:
        dashboard = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        check(False, f"{path.name} parses: {e}")
        continue
    check(bool(dashboard.get("uid")) and bool(dashboard.get("title")), f"{path.name} has a uid and a title")
    ids = [p["id"] for p in dashboard["panels"]]
    check(len(ids) == len(set(ids)), f"{path.name}: panel ids are unique")
    for panel in dashboard["panels"]:
        check(panel.get("targets") and panel.get("datasource", {}).get("uid") == "${datasource}",
              f"{path.name}: panel '{panel['title']}' has queries on the datasource variable")
    exprs = expressions(dashboard)
    code, errors = parse_all([promql(e) for _, e in exprs])
    check(code == 0, f"{path.name}: promtool parses all {len(exprs)} expressions")
    for where, expr in exprs:
        err = errors[promql(expr)]
        check(not err, f"{path.name}: {where} parses{': ' + err if err else ''}")
        unknown = metrics_in(expr) - KNOWN
        check(not unknown, f"{path.name}: {where} names known metrics{' (unknown: ' + ', '.join(sorted(unknown)) + ')' if unknown else ''}")

# The checks catch what they are for.
code, errors = parse_all(["sum by (node) (imawatch_drift_paths_open"])
check(code != 0 and errors["sum by (node) (imawatch_drift_paths_open"], "a broken expression is refused")
check(metrics_in('imawatch_drift_path_open{node="x"}') - KNOWN == {"imawatch_drift_path_open"},
      "a misspelt metric is unknown")

print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
