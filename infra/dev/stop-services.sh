#!/usr/bin/env bash
# Stops the test servers infra/dev/services.sh started, by the pid files under .services/.
# A pid whose command line is not the expected daemon (a recycled pid) is left alone.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="$ROOT/.services"

say() { printf 'stop-services: %s\n' "$*"; }

failed=0

# stop NAME PIDFILE
stop() {
  local name="$1" file="$2" pid
  if [ ! -s "$file" ]; then
    say "$name: no pid file"
    return
  fi
  pid="$(tr -dc '0-9' <"$file")"
  if [ -z "$pid" ] || [ ! -r "/proc/$pid/cmdline" ] || ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$name"; then
    say "$name: pid ${pid:-?} is not running"
    rm -f "$file"
    return
  fi
  kill "$pid"
  local deadline=$((SECONDS + 15))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      printf 'stop-services: FAILED: %s (pid %s) did not exit within 15s of SIGTERM\n' "$name" "$pid" >&2
      failed=1
      return
    fi
    sleep 0.1
  done
  rm -f "$file"
  say "$name: stopped pid $pid"
}

stop redis-server "$STATE/redis/redis.pid"
stop victoria-metrics "$STATE/victoria-metrics/victoria-metrics.pid"
stop snmpd "$STATE/snmpd/snmpd.pid"
stop snmpsimd "$STATE/snmpsim/run/snmpsim.pid"
exit "$failed"
