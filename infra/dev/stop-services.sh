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

# PostgreSQL: pg_ctl stops it (fast: rolls back open transactions), as the user it runs as.
PG_DATA="$STATE/postgres/data"
if [ -s "$PG_DATA/postmaster.pid" ]; then
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [ "$(id -u)" -eq 0 ]; then as_pg=(runuser -u postgres --); else as_pg=(); fi
  if "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 15 stop >/dev/null; then
    say "postgresql: stopped"
  else
    printf 'stop-services: FAILED: postgresql (%s) did not stop\n' "$PG_DATA" >&2
    failed=1
  fi
else
  say "postgresql: not running"
fi
exit "$failed"
