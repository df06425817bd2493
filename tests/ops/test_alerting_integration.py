"""The service, a real Prometheus, Alertmanager and the pager on loopback (issue 8, section 3).

(a) Prometheus's p99 from the service's histogram agrees to within one bucket with the exact
    server-side p99 of the decision log's timings;
(b) a full bureau outage fires LendlabFallbackRateHigh and the page reaches the pager's JSONL.

Bounded (< 90 s); every process is stopped by its context manager. The fallback rules are the
real ops/prometheus/rules/degraded_mode.yml with windows and `for` shortened (5m -> 10s,
2m -> 2s, guard 50 -> 5 decisions) so that the outage fires within seconds; the other rule
files are loaded unchanged, and every rule must evaluate without error against the real
/metrics.
"""

from __future__ import annotations

import bisect
import threading
import time

import httpx
import numpy as np
import pytest
from ops_helpers import ALERTMANAGER_CONFIG, RULES, require_binaries

from lendlab import serving
from lendlab.serving.metrics import LATENCY_BUCKETS
from lendlab.serving.prometheus_stack import (
    alerts,
    query,
    query_vector,
    running_alertmanager,
    running_prometheus,
)
from lendlab.serving.replay import replay

pytestmark = pytest.mark.timeout(120)

TOKEN = "integration-test-token"
P99 = (
    "histogram_quantile(0.99, sum by (le) "
    '(rate(lendlab_request_duration_seconds_bucket{route="/v1/decisions"}[1m])))'
)
FAST = {  # real text -> test text; each must occur in degraded_mode.yml
    "[5m]": "[10s]",
    "for: 2m": "for: 2s",
    "lendlab:decisions:rate5m * 300 >= 50": "lendlab:decisions:rate5m * 10 >= 5",
}


def _fast_fallback_rules(tmp_path):
    text = (RULES[0].parent / "degraded_mode.yml").read_text()
    for old, new in FAST.items():
        assert old in text, f"degraded_mode.yml no longer contains {old!r}: update FAST"
        text = text.replace(old, new)
    path = tmp_path / "degraded_mode_fast.yml"
    path.write_text(text)
    return [p for p in RULES if p.name != "degraded_mode.yml"] + [path]


def _bucket(seconds: float) -> int:
    """Index of the histogram bucket holding ``seconds`` (le edges, +Inf last)."""
    return bisect.bisect_left(list(LATENCY_BUCKETS), seconds)


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout:g} s waiting for {what}")


def test_prometheus_p99_and_bureau_outage_page(tmp_path):
    require_binaries("prometheus", "alertmanager")
    started = time.monotonic()
    rules = _fast_fallback_rules(tmp_path)
    pages = tmp_path / "pages.jsonl"
    with (
        serving.running(db=tmp_path / "decisions.db", admin_token=TOKEN) as svc,
        serving.running_pager(pages) as pager,
        running_alertmanager(ALERTMANAGER_CONFIG, webhook_url=pager.url) as am,
        running_prometheus([svc.url], rules, alertmanager_url=am.url) as prom,
    ):
        _wait(lambda: query_vector(prom.url, 'up{job="lendlab"} == 1'), 15, "the first scrape")

        # (a) healthy traffic: Prometheus p99 vs the exact p99 of the decision log
        healthy = replay(svc.url, rate=80, duration=10, seed=3)
        assert healthy.summary["error_count"] == 0, healthy.summary["errors"]
        time.sleep(2.5)  # two scrapes after the last request
        prom_p99 = query(prom.url, P99)
        log = serving.read_decisions(svc.db)
        exact_p99 = float(np.quantile(log["duration_ms"].to_numpy() / 1000.0, 0.99))
        client_p99 = healthy.summary["latency_s"]["p99"]
        print(
            f"\nrequests={len(log)} prometheus_p99={prom_p99 * 1000:.2f}ms "
            f"exact_server_p99={exact_p99 * 1000:.2f}ms client_p99={client_p99 * 1000:.2f}ms "
            f"(buckets {_bucket(prom_p99)} vs {_bucket(exact_p99)})"
        )
        assert len(log) == healthy.summary["ok"]
        assert abs(_bucket(prom_p99) - _bucket(exact_p99)) <= 1, (prom_p99, exact_p99)

        # every rule (real expressions) evaluates against the real metrics
        groups = httpx.get(f"{prom.url}/api/v1/rules").json()["data"]["groups"]
        broken = [
            (r["name"], r.get("lastError"))
            for g in groups
            for r in g["rules"]
            if r.get("health") == "err"
        ]
        assert broken == []
        assert query(prom.url, "lendlab:requests:rate5m") > 0

        # (b) full bureau outage: the fallback page reaches the pager
        r = httpx.post(
            f"{svc.url}/admin/faults", json={"bureau": {"outage": True}}, headers=svc.headers()
        )
        assert r.status_code == 200, r.text
        outage: dict = {}
        driver = threading.Thread(
            target=lambda: outage.update(res=replay(svc.url, rate=40, duration=20, seed=4)),
            daemon=True,
        )
        driver.start()
        try:

            def paged():
                for record in serving.read_pages(pages):
                    note = record["notification"]
                    for alert in note.get("alerts", []):
                        labels = alert["labels"]
                        if (
                            labels.get("alertname") == "LendlabFallbackRateHigh"
                            and note.get("status") == "firing"
                        ):
                            return record, labels
                return None

            record, labels = _wait(paged, 40, "LendlabFallbackRateHigh at the pager")
        finally:
            driver.join(30)
        assert labels["dependency"] == "bureau" and labels["severity"] == "page"
        assert record["path"] == "/pages"
        firing = {a["labels"]["alertname"] for a in alerts(prom.url)}
        assert "LendlabFallbackRateHigh" in firing
        ratio = query(prom.url, 'lendlab:fallback:ratio_rate5m{dependency="bureau"}')
        assert ratio > 0.9
        assert outage["res"].summary["fallback"] == outage["res"].summary["ok"] > 0
        print(f"fallback ratio={ratio:.2f}; paged after {time.monotonic() - started:.1f} s total")
    assert time.monotonic() - started < 90
