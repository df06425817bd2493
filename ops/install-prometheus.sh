#!/usr/bin/env bash
# Install Prometheus 2.42 and Alertmanager 0.25 from Debian (bookworm) when they are missing.
#
#   ops/install-prometheus.sh          as root: apt-get install them if missing
#                                      otherwise: say how to get them (exit 0)
#   ops/install-prometheus.sh --check  only report (exit 1 when something is missing)
#
# Binaries: prometheus, promtool (package prometheus), prometheus-alertmanager, amtool
# (package prometheus-alertmanager). The tests that need them skip without them, and fail under
# CI=true.
set -euo pipefail

missing=()
for bin in prometheus promtool prometheus-alertmanager amtool; do
    command -v "$bin" >/dev/null 2>&1 || missing+=("$bin")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "prometheus and alertmanager: present ($(prometheus --version 2>&1 | head -1))"
    exit 0
fi

how="sudo apt-get install -y --no-install-recommends prometheus prometheus-alertmanager"
if [ "${1:-}" = "--check" ]; then
    echo "missing: ${missing[*]}; install with: $how" >&2
    exit 1
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing prometheus prometheus-alertmanager (missing: ${missing[*]})" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y --no-install-recommends prometheus prometheus-alertmanager
    # Debian starts the daemons as services; the labs run their own on free loopback ports.
    exit 0
fi

cat >&2 <<MSG
missing: ${missing[*]}
  Debian/Ubuntu:  $how
  elsewhere:      download prometheus-2.42+ and alertmanager-0.25+ from
                  https://prometheus.io/download/ and put prometheus, promtool,
                  alertmanager (or prometheus-alertmanager) and amtool on PATH.
The tests that need them skip until then (and fail under CI=true).
MSG
exit 0
