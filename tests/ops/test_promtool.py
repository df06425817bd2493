"""The ops/ configuration passes promtool and amtool, and every alert has a unit test."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml
from ops_helpers import ALERTMANAGER_CONFIG, OPS, RULE_TESTS, RULES, require_binaries

from lendlab.serving.prometheus_stack import find_binary


def _run(args: list[str], cwd=None) -> None:
    result = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=cwd)
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )


def _alerts() -> dict[str, dict]:
    found = {}
    for path in RULES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    assert rule["alert"] not in found, f"alert {rule['alert']} defined twice"
                    found[rule["alert"]] = rule
    return found


def _tests() -> list[dict]:
    return [test for path in RULE_TESTS for test in yaml.safe_load(path.read_text())["tests"]]


def test_the_rule_files_are_there():
    assert len(RULES) >= 4 and len(RULE_TESTS) >= len(RULES)


def test_promtool_check_rules():
    require_binaries("promtool")
    _run([find_binary("promtool"), "check", "rules", *map(str, RULES)])


def test_promtool_check_config():
    require_binaries("promtool")
    _run([find_binary("promtool"), "check", "config", str(OPS / "prometheus" / "prometheus.yml")])


def test_promtool_test_rules():
    require_binaries("promtool")
    # promtool resolves rule_files relative to each test file
    _run(
        [find_binary("promtool"), "test", "rules", *(p.name for p in RULE_TESTS)],
        cwd=RULE_TESTS[0].parent,
    )


def test_amtool_check_config():
    require_binaries("amtool")
    _run([find_binary("amtool"), "check-config", str(ALERTMANAGER_CONFIG)])


def test_every_alert_has_severity_and_a_check_first_runbook():
    alerts = _alerts()
    assert len(alerts) >= 8
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in ("page", "ticket"), name
        assert "check first" in rule["annotations"]["runbook"].lower(), name
        assert rule["annotations"].get("summary"), name


def test_every_alert_is_tested_firing_quiet_and_under_its_guard():
    firing, quiet, guard = set(), set(), set()
    for test in _tests():
        for case in test.get("alert_rule_test", []):
            if case.get("exp_alerts"):
                firing.add(case["alertname"])
            else:
                quiet.add(case["alertname"])
                if re.search(r"guard", test["name"]):
                    guard.add(case["alertname"])
    alerts = set(_alerts())
    assert alerts - firing == set(), "alerts without a firing test"
    assert alerts - quiet == set(), "alerts without a not-firing test"
    assert alerts - guard == set(), "alerts without a low-volume guard test"
    assert (firing | quiet) - alerts == set(), "tests of alerts that do not exist"


def test_every_alert_has_a_minimum_volume_guard():
    # A guard is a comparison with a count (>= N) joined by `and`
    for name, rule in _alerts().items():
        assert re.search(r"and\b[^\n]*>=\s*\d+", rule["expr"]), f"{name} has no volume guard"


def test_alertmanager_routes_pages_to_the_pager_webhook():
    config = yaml.safe_load(ALERTMANAGER_CONFIG.read_text())
    routes = {tuple(r["matchers"]): r["receiver"] for r in config["route"]["routes"]}
    receivers = {r["name"]: r for r in config["receivers"]}
    page = receivers[routes[('severity="page"',)]]
    assert page["webhook_configs"][0]["url"].startswith("http://127.0.0.1:")
    assert config["route"]["group_wait"] in ("1s", "2s")
