#!/usr/bin/env bash
# pgbench, side by side: a throwaway PostgreSQL 15 and QuorumDB on this machine, both durable
# (fsync on, synchronous_commit on), the same scale and workloads, run alternately
# (A B A B ...) so drift in the machine hits both equally. Prints TPS and average/p99 latency
# per run, then the median QuorumDB/PostgreSQL ratio per workload. Cleans up everything it
# started.
#
# Usage: benches/pgbench_vs_postgres.sh [--scale N] [--clients C] [--threads J]
#                                       [--seconds S] [--rounds R] [--workloads LIST]
#                                       [--memory-limit-mb M] [--warmup S]
# Before the measured rounds of each workload, both servers run it once for S seconds
# (default 10), unmeasured: right after the load both are still busy with it (PostgreSQL's
# first TPC-B run after `pgbench -i` is typically a third slower than its later ones), and a
# cold first round would flatter whichever server recovers faster.
# QuorumDB runs with --memory-limit-mb M (default 256); its peak resident memory (VmHWM) is
# printed at the end.
# LIST is comma-separated from: tpcb, select, select-prepared, insert, tpcb-extended,
#                               tpcb-prepared, simple-update (default: tpcb,select,select-prepared,insert)
set -euo pipefail

SCALE=10 CLIENTS=8 THREADS=2 SECONDS_PER_RUN=30 ROUNDS=3 MEMORY_MB=256 WARMUP=10
WORKLOADS="tpcb,select,select-prepared,insert"
while [ $# -gt 0 ]; do
    case "$1" in
        --scale) SCALE=$2; shift 2 ;;
        --clients) CLIENTS=$2; shift 2 ;;
        --threads) THREADS=$2; shift 2 ;;
        --seconds) SECONDS_PER_RUN=$2; shift 2 ;;
        --rounds) ROUNDS=$2; shift 2 ;;
        --workloads) WORKLOADS=$2; shift 2 ;;
        --memory-limit-mb) MEMORY_MB=$2; shift 2 ;;
        --warmup) WARMUP=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PGBIN=/usr/lib/postgresql/15/bin
if [ ! -x "$PGBIN/postgres" ]; then
    echo "installing PostgreSQL 15 server binaries (apt)"
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq postgresql-15 >/dev/null
fi
PGBENCH=$(command -v pgbench || echo "$PGBIN/pgbench")

WORK=$(mktemp -d /tmp/pgbench-vs.XXXXXX)
chmod 755 "$WORK"
PG_PORT=$((20000 + RANDOM % 20000))
QDB_PORT=$((PG_PORT + 1))
QDB_PID=""
cleanup() {
    [ -n "$QDB_PID" ] && kill "$QDB_PID" 2>/dev/null && wait "$QDB_PID" 2>/dev/null || true
    if [ -f "$WORK/pg/postmaster.pid" ]; then as_pg "$PGBIN/pg_ctl" -D "$WORK/pg" -m fast stop >/dev/null 2>&1 || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# PostgreSQL refuses to run as root: run it as the `postgres` user when we are root.
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

echo "== building QuorumDB (release)"
(cd "$ROOT" && cargo build --release --locked --quiet)

echo "== starting PostgreSQL 15 on 127.0.0.1:$PG_PORT (fsync on, synchronous_commit on)"
mkdir -p "$WORK/pg" && chown -R "$( [ "$(id -u)" = 0 ] && echo postgres || id -un)" "$WORK/pg"
as_pg "$PGBIN/initdb" -D "$WORK/pg" -U quorumdb --auth=trust >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/log" -w \
    -o "-p $PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on" start >/dev/null
as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U quorumdb quorumdb

echo "== starting QuorumDB on 127.0.0.1:$QDB_PORT (--wal-sync fsync)"
"$ROOT/target/release/quorumdb" start --data-dir "$WORK/qdb" --listen "127.0.0.1:$QDB_PORT" \
    --memory-limit-mb "$MEMORY_MB" 2>"$WORK/qdb.log" &
QDB_PID=$!
for _ in $(seq 1 300); do
    grep -q "ready to accept connections" "$WORK/qdb.log" 2>/dev/null && break
    kill -0 "$QDB_PID" 2>/dev/null || { cat "$WORK/qdb.log"; exit 1; }
    sleep 0.1
done

cat > "$WORK/insert.sql" <<'SQL'
\set aid random(1, 100000 * :scale)
\set bid random(1, 1 * :scale)
\set tid random(1, 10 * :scale)
\set delta random(-5000, 5000)
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);
SQL

init() { # name port
    echo "== pgbench -i -s $SCALE on $1"
    local started=$SECONDS
    "$PGBENCH" -h 127.0.0.1 -p "$2" -U quorumdb -i -s "$SCALE" -q quorumdb >"$WORK/init-$1.log" 2>&1 \
        || { echo "pgbench -i failed on $1:"; tail -5 "$WORK/init-$1.log"; exit 1; }
    echo "   $1 loaded in $((SECONDS - started)) s"
}
init postgres "$PG_PORT"
init quorumdb "$QDB_PORT"

args_for() { # workload → pgbench arguments
    case "$1" in
        tpcb) echo "" ;;
        tpcb-extended) echo "-M extended" ;;
        tpcb-prepared) echo "-M prepared" ;;
        select) echo "-S" ;;
        select-prepared) echo "-S -M prepared" ;;
        simple-update) echo "-N" ;;
        insert) echo "-f $WORK/insert.sql" ;;
        *) echo "unknown workload $1" >&2; exit 2 ;;
    esac
}

run() { # workload name port → "tps avg_ms p99_ms"
    local log="$WORK/run-$2-$1-$RANDOM"
    # shellcheck disable=SC2046
    "$PGBENCH" -h 127.0.0.1 -p "$3" -U quorumdb -c "$CLIENTS" -j "$THREADS" -T "$SECONDS_PER_RUN" \
        -r -l --log-prefix="$log" $(args_for "$1") quorumdb >"$log.out" 2>&1 \
        || { echo "pgbench failed on $2 ($1):" >&2; tail -5 "$log.out" >&2; echo "0 0 0"; return; }
    local tps avg p99
    tps=$(awk '/^tps = /{print $3; exit}' "$log.out")
    avg=$(awk '/^latency average = /{print $4; exit}' "$log.out")
    # Per-transaction log: column 3 is the latency in microseconds.
    p99=$(cat "$log".* 2>/dev/null | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {if (NR) printf "%.3f", a[int(NR*0.99)]/1000; else print 0}')
    echo "${tps:-0} ${avg:-0} ${p99:-0}"
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# QuorumDB's WAL counters (pg_stat_wal): "commit_records fdatasyncs". fdatasyncs per commit
# is printed for runs that committed at least 100 write transactions.
wal_counters() {
    psql -h 127.0.0.1 -p "$QDB_PORT" -U quorumdb -d quorumdb -Atqc \
        "SELECT wal_records || ' ' || wal_sync FROM pg_stat_wal" 2>/dev/null || echo "0 0"
}

printf '\n%-16s %-9s %5s %12s %10s %10s %14s\n' workload server round tps avg_ms p99_ms fsyncs/commit
IFS=',' read -r -a LIST <<<"$WORKLOADS"
declare -A RATIOS
warm_up() { # workload name port
    # shellcheck disable=SC2046
    "$PGBENCH" -h 127.0.0.1 -p "$3" -U quorumdb -c "$CLIENTS" -j "$THREADS" -T "$WARMUP" \
        $(args_for "$1") quorumdb >"$WORK/warmup-$2-$1.out" 2>&1 \
        || { echo "warm-up failed on $2 ($1):" >&2; tail -5 "$WORK/warmup-$2-$1.out" >&2; }
}

for workload in "${LIST[@]}"; do
    ratios=()
    if [ "$WARMUP" -gt 0 ]; then
        warm_up "$workload" postgres "$PG_PORT"
        warm_up "$workload" quorumdb "$QDB_PORT"
    fi
    for round in $(seq 1 "$ROUNDS"); do
        read -r pg_tps pg_avg pg_p99 <<<"$(run "$workload" postgres "$PG_PORT")"
        printf '%-16s %-9s %5s %12s %10s %10s\n' "$workload" postgres "$round" "$pg_tps" "$pg_avg" "$pg_p99"
        read -r records_before syncs_before <<<"$(wal_counters)"
        read -r q_tps q_avg q_p99 <<<"$(run "$workload" quorumdb "$QDB_PORT")"
        read -r records_after syncs_after <<<"$(wal_counters)"
        per_commit=$(awk -v r=$((records_after - records_before)) -v s=$((syncs_after - syncs_before)) \
            'BEGIN {if (r >= 100) printf "%.3f", s / r; else print "-"}')
        printf '%-16s %-9s %5s %12s %10s %10s %14s\n' "$workload" quorumdb "$round" "$q_tps" "$q_avg" "$q_p99" "$per_commit"
        ratios+=("$(awk -v q="$q_tps" -v p="$pg_tps" 'BEGIN {if (p > 0) printf "%.3f", q / p; else print 0}')")
    done
    RATIOS[$workload]=$(printf '%s\n' "${ratios[@]}" | median)
done

echo
echo "median TPS ratio QuorumDB/PostgreSQL (scale $SCALE, -c $CLIENTS -j $THREADS, ${SECONDS_PER_RUN}s runs, $ROUNDS rounds):"
for workload in "${LIST[@]}"; do
    printf '  %-16s %s\n' "$workload" "${RATIOS[$workload]}"
done
echo "QuorumDB peak resident memory (VmHWM, --memory-limit-mb $MEMORY_MB): $(awk '/VmHWM/ {printf "%d MB", $2 / 1024}' "/proc/$QDB_PID/status")"
