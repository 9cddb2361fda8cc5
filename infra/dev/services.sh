#!/usr/bin/env bash
# Installs (from Debian packages, only what is missing) and starts the real servers the
# integration and end-to-end tests use, each on 127.0.0.1 on a fixed project port, then writes
# .services.env. Idempotent: a second run finds everything answering and changes nothing.
# State (data, pid files, logs) lives under .services/; stop with infra/dev/stop-services.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="$ROOT/.services"
ENV_FILE="$ROOT/.services.env"

REDIS_PORT="${SWITCHYARD_REDIS_PORT:-16379}"
VM_PORT="${SWITCHYARD_VM_PORT:-18428}"
SNMPD_PORT="${SWITCHYARD_SNMPD_PORT:-11161}"
SNMPSIM_PORT="${SWITCHYARD_SNMPSIM_PORT:-11162}"
PG_PORT="${SWITCHYARD_PG_PORT:-15432}"
WAIT_S="${SWITCHYARD_SERVICE_WAIT_S:-30}"

# The SNMPv3 user snmpd serves (authPriv). Test-only credentials on a loopback daemon.
SNMPD_V3_USER="switchyard"
SNMPD_V3_AUTH_PROTO="SHA"
SNMPD_V3_AUTH_KEY="switchyard-auth-key"
SNMPD_V3_PRIV_PROTO="AES"
SNMPD_V3_PRIV_KEY="switchyard-priv-key"
# snmpsim answers the community named after each .snmprec file; this one is ours, for the probe.
SNMPSIM_PROBE_COMMUNITY="switchyard-probe"

PYTHON=/usr/bin/python3
CHROMIUM=/usr/bin/chromium
PACKAGES=(curl redis-server victoria-metrics snmpd snmp snmpsim python3-pymodbus python3-serial-asyncio mbpoll chromium python3-numpy postgresql)

# A private PostgreSQL cluster for the records tests: its own data dir under .services/, its own
# port, a superuser "switchyard" whose password is test-only (loopback, like the other daemons).
PG_USER="switchyard"
PG_PASSWORD="switchyard-test"
PG_DB="switchyard"

export MIBS=   # no MIBs are installed; numeric OIDs only, and no "cannot find module" noise
export DEBIAN_FRONTEND=noninteractive

say() { printf 'services: %s\n' "$*"; }
die() { printf 'services: FAILED: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_missing_packages() {
  local missing=() pkg
  for pkg in "${PACKAGES[@]}"; do
    if [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)" != "installed" ]; then
      missing+=("$pkg")
    fi
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    say "packages: all ${#PACKAGES[@]} installed"
    return
  fi
  say "packages: installing ${missing[*]}"
  as_root apt-get update -q || die "apt-get update failed"
  as_root apt-get install -y -q "${missing[@]}" || die "apt-get install ${missing[*]} failed"
}

# pid_alive FILE NAME: the pid in FILE is running and its command line mentions NAME
# (so a recycled pid is never mistaken for ours).
pid_alive() {
  local file="$1" name="$2" pid
  [ -s "$file" ] || return 1
  pid="$(tr -dc '0-9' <"$file")"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$name"
}

# wait_until NAME LOG PIDFILE CHECK...: polls CHECK until it succeeds, for at most WAIT_S
# seconds; gives up at once when the daemon's pid file names a process that has exited.
wait_until() {
  local name="$1" log="$2" pidfile="$3" pid why=""
  shift 3
  local deadline=$((SECONDS + WAIT_S))
  until "$@" >/dev/null 2>&1; do
    if [ -s "$pidfile" ]; then
      pid="$(tr -dc '0-9' <"$pidfile")"
      if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then why="exited (pid $pid)"; fi
    fi
    if [ -z "$why" ] && [ "$SECONDS" -ge "$deadline" ]; then why="did not answer within ${WAIT_S}s"; fi
    if [ -n "$why" ]; then
      printf 'services: FAILED: %s %s; last lines of %s:\n' "$name" "$why" "$log" >&2
      tail -n 30 "$log" >&2 2>/dev/null || printf '  (no log written)\n' >&2
      exit 1
    fi
    sleep 0.2
  done
}

# A stale daemon (pid alive, not answering) is stopped before a fresh start.
stop_stale() {
  local pidfile="$1" name="$2" pid
  if pid_alive "$pidfile" "$name"; then
    pid="$(tr -dc '0-9' <"$pidfile")"
    say "$name: pid $pid is not answering; stopping it"
    kill "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 10))
    while kill -0 "$pid" 2>/dev/null; do
      [ "$SECONDS" -lt "$deadline" ] || die "$name: stale pid $pid did not exit"
      sleep 0.1
    done
  fi
  rm -f "$pidfile"
}

redis_answers() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]; }

start_redis() {
  local dir="$STATE/redis"
  if redis_answers; then say "redis: answering on 127.0.0.1:$REDIS_PORT"; return; fi
  mkdir -p "$dir"
  stop_stale "$dir/redis.pid" redis-server
  say "redis: starting on 127.0.0.1:$REDIS_PORT"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" 9>&- \
    || die "redis-server did not start; see $dir/redis.log"
  wait_until redis "$dir/redis.log" "$dir/redis.pid" redis_answers
}

vm_answers() { [ "$(curl -fsS --max-time 2 "http://127.0.0.1:$VM_PORT/health" 2>/dev/null)" = "OK" ]; }

start_victoria_metrics() {
  local dir="$STATE/victoria-metrics"
  if vm_answers; then say "victoria-metrics: answering on 127.0.0.1:$VM_PORT"; return; fi
  mkdir -p "$dir/data"
  stop_stale "$dir/victoria-metrics.pid" victoria-metrics
  say "victoria-metrics: starting on 127.0.0.1:$VM_PORT"
  # -search.latencyOffset=0s: otherwise points under 30 s old are left out of query results.
  # -search.disableCache: tests read back what they just wrote; a cached range must not hide it.
  nohup setsid victoria-metrics \
    -httpListenAddr="127.0.0.1:$VM_PORT" \
    -storageDataPath="$dir/data" \
    -retentionPeriod=1 \
    -search.latencyOffset=0s \
    -search.disableCache \
    >"$dir/victoria-metrics.log" 2>&1 </dev/null 9>&- &
  echo $! >"$dir/victoria-metrics.pid"
  wait_until victoria-metrics "$dir/victoria-metrics.log" "$dir/victoria-metrics.pid" vm_answers
}

snmpd_answers() {
  snmpget -v2c -c public -t 1 -r 0 -On "127.0.0.1:$SNMPD_PORT" 1.3.6.1.2.1.1.5.0 2>/dev/null | grep -q 'switchyard-snmpd'
}

start_snmpd() {
  local dir="$STATE/snmpd"
  if snmpd_answers; then say "snmpd: answering on udp 127.0.0.1:$SNMPD_PORT"; return; fi
  mkdir -p "$dir/persist"
  stop_stale "$dir/snmpd.pid" snmpd
  cat >"$dir/snmpd.conf" <<EOF
# Generated by infra/dev/services.sh; rewritten on every start.
agentAddress udp:127.0.0.1:$SNMPD_PORT
rocommunity public 127.0.0.1
createUser $SNMPD_V3_USER $SNMPD_V3_AUTH_PROTO "$SNMPD_V3_AUTH_KEY" $SNMPD_V3_PRIV_PROTO "$SNMPD_V3_PRIV_KEY"
rouser $SNMPD_V3_USER priv
sysName switchyard-snmpd
sysLocation loopback test service
sysContact switchyard tests
dontLogTCPWrappersConnects yes
EOF
  say "snmpd: starting on udp 127.0.0.1:$SNMPD_PORT"
  # -C: read only our conf, never /etc/snmp. The persistent dir holds the v3 user's keys.
  SNMP_PERSISTENT_DIR="$dir/persist" snmpd -C -c "$dir/snmpd.conf" -p "$dir/snmpd.pid" \
    -Lf "$dir/snmpd.log" 9>&- \
    || die "snmpd did not start; see $dir/snmpd.log"
  wait_until snmpd "$dir/snmpd.log" "$dir/snmpd.pid" snmpd_answers
}

snmpsim_answers() {
  snmpget -v2c -c "$SNMPSIM_PROBE_COMMUNITY" -t 1 -r 0 -On "127.0.0.1:$SNMPSIM_PORT" 1.3.6.1.2.1.1.5.0 2>/dev/null \
    | grep -q 'switchyard-snmpsim'
}

# The data dir holds our probe recording plus every .snmprec recording in the repository
# (community = file base name), so recordings added under simulations/, agents/ or test/
# are served without editing this script.
sync_snmpsim_data() {
  local data="$1" file base
  mkdir -p "$data"
  find "$data" -maxdepth 1 -name '*.snmprec' ! -name "$SNMPSIM_PROBE_COMMUNITY.snmprec" -delete
  printf '%s\n' \
    '1.3.6.1.2.1.1.1.0|4|Switchyard snmpsim probe' \
    '1.3.6.1.2.1.1.5.0|4|switchyard-snmpsim' >"$data/$SNMPSIM_PROBE_COMMUNITY.snmprec"
  while IFS= read -r -d '' file; do
    base="$(basename "$file")"
    [ ! -e "$data/$base" ] || die "snmpsim: two recordings named $base (community names must be unique): $file"
    cp "$file" "$data/$base"
  done < <(find "$ROOT/simulations" "$ROOT/agents" "$ROOT/test" -name node_modules -prune -o -name '*.snmprec' -print0 2>/dev/null)
}

start_snmpsim() {
  local dir="$STATE/snmpsim" fingerprint
  mkdir -p "$dir"
  sync_snmpsim_data "$dir/data"
  fingerprint="$(cd "$dir/data" && find . -name '*.snmprec' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
  if snmpsim_answers && [ "$(cat "$dir/data.sha256" 2>/dev/null || true)" = "$fingerprint" ]; then
    say "snmpsim: answering on udp 127.0.0.1:$SNMPSIM_PORT"
    return
  fi
  # snmpsim indexes its recordings at start, so a changed data dir needs a restart.
  if pid_alive "$dir/run/snmpsim.pid" snmpsimd; then
    say "snmpsim: recordings changed or not answering; restarting"
    kill "$(tr -dc '0-9' <"$dir/run/snmpsim.pid")"
    local deadline=$((SECONDS + 10))
    while pid_alive "$dir/run/snmpsim.pid" snmpsimd; do
      [ "$SECONDS" -lt "$deadline" ] || die "snmpsim: old process did not exit"
      sleep 0.1
    done
  fi
  rm -f "$dir/run/snmpsim.pid"
  mkdir -p "$dir/cache" "$dir/run"
  local as_user=()
  if [ "$(id -u)" -eq 0 ]; then
    # snmpsimd refuses to run as root; it drops to nobody, who must read the data and own
    # the cache, the log and the folder of its pid file (written after the drop).
    as_user=(--process-user=nobody --process-group=nogroup)
    chmod 755 "$dir" "$dir/data"
    chmod 644 "$dir/data/"*.snmprec
    chown -R nobody:nogroup "$dir/cache" "$dir/run"
    touch "$dir/snmpsim.log" && chown nobody:nogroup "$dir/snmpsim.log"
  fi
  say "snmpsim: starting on udp 127.0.0.1:$SNMPSIM_PORT"
  snmpsimd --daemonize "${as_user[@]}" \
    --pid-file="$dir/run/snmpsim.pid" \
    --logging-method="file:$dir/snmpsim.log" \
    --cache-dir="$dir/cache" \
    --data-dir="$dir/data" \
    --agent-udpv4-endpoint="127.0.0.1:$SNMPSIM_PORT" 9>&- \
    || die "snmpsimd did not start; see $dir/snmpsim.log"
  wait_until snmpsim "$dir/snmpsim.log" "$dir/run/snmpsim.pid" snmpsim_answers
  echo "$fingerprint" >"$dir/data.sha256"
}

# The newest installed server binaries (Debian's postgresql-NN), found after the install.
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

# as_pg CMD...: PostgreSQL refuses to run as root; as root, run it as the postgres user
# (the package creates it), otherwise as whoever runs this script.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_answers() { "$(pg_bin)/pg_isready" -h 127.0.0.1 -p "$PG_PORT" -q; }

start_postgres() {
  local dir="$STATE/postgres" bin
  bin="$(pg_bin)"
  [ -n "$bin" ] || die "no PostgreSQL server binaries under /usr/lib/postgresql (package postgresql)"
  if pg_answers; then say "postgresql: answering on 127.0.0.1:$PG_PORT"; return; fi
  mkdir -p "$dir"
  # The server's files belong to the user it runs as, and nobody else may read them.
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  chmod 0700 "$dir"
  if [ ! -s "$dir/data/PG_VERSION" ]; then
    say "postgresql: creating a cluster in $dir/data"
    printf '%s\n' "$PG_PASSWORD" >"$dir/pwfile"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir/pwfile"
    as_pg "$bin/initdb" -D "$dir/data" -U "$PG_USER" --pwfile="$dir/pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 9>&- \
      || { rm -f "$dir/pwfile"; tail -n 20 "$dir/initdb.log" >&2; die "initdb failed; see $dir/initdb.log"; }
    rm -f "$dir/pwfile"
  fi
  say "postgresql: starting on 127.0.0.1:$PG_PORT"
  # Unix socket in the cluster's own dir (not /run/postgresql, which may not be ours); fsync
  # off: a test cluster trades crash safety for speed on a shared machine.
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t "$WAIT_S" \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null 9>&- || { tail -n 30 "$dir/postgres.log" >&2; die "postgresql did not start; see $dir/postgres.log"; }
  if ! as_pg "$bin/psql" -h "$dir" -p "$PG_PORT" -U "$PG_USER" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'" | grep -q 1; then
    as_pg "$bin/createdb" -h "$dir" -p "$PG_PORT" -U "$PG_USER" "$PG_DB" || die "createdb $PG_DB failed"
  fi
}

check_tools() {
  "$PYTHON" -c 'import pymodbus, serial_asyncio' 2>/dev/null \
    || die "$PYTHON cannot import pymodbus and serial_asyncio (packages python3-pymodbus, python3-serial-asyncio)"
  [ -x "$CHROMIUM" ] || die "$CHROMIUM is missing (package chromium)"
  command -v mbpoll >/dev/null || die "mbpoll is missing (package mbpoll)"
}

write_env() {
  local tmp="$ENV_FILE.tmp.$$"
  cat >"$tmp" <<EOF
# Written by infra/dev/services.sh; source it: . ./.services.env
export SWITCHYARD_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT
export SWITCHYARD_TEST_VM_URL=http://127.0.0.1:$VM_PORT
export SWITCHYARD_TEST_SNMPD=127.0.0.1:$SNMPD_PORT
export SWITCHYARD_TEST_SNMPD_V3_USER=$SNMPD_V3_USER
export SWITCHYARD_TEST_SNMPD_V3_AUTH=$SNMPD_V3_AUTH_PROTO:$SNMPD_V3_AUTH_KEY
export SWITCHYARD_TEST_SNMPD_V3_PRIV=$SNMPD_V3_PRIV_PROTO:$SNMPD_V3_PRIV_KEY
export SWITCHYARD_TEST_SNMPSIM=127.0.0.1:$SNMPSIM_PORT
export SWITCHYARD_TEST_SNMPSIM_DATA=$STATE/snmpsim/data
export SWITCHYARD_TEST_CHROMIUM=$CHROMIUM
export SWITCHYARD_TEST_PYTHON=$PYTHON
export SWITCHYARD_TEST_DATABASE_URL=postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB
EOF
  mv "$tmp" "$ENV_FILE"
}

mkdir -p "$STATE"
# Several engineers (and CI steps) may run this at once in one tree: one at a time.
# Every daemon start closes fd 9 (9>&-) so no daemon keeps the lock.
exec 9>"$STATE/lock"
flock -w 300 9 || die "another services.sh run held $STATE/lock for 5 minutes"

install_missing_packages
check_tools
start_redis
start_victoria_metrics
start_snmpd
start_snmpsim
start_postgres
write_env
say "ready; environment in $ENV_FILE"
