#!/usr/bin/env bash
# SQL conformance: run the shared sqllogictest corpus (../shared/conformance, see its README)
# against a throwaway QuorumDB and print a per-folder pass table next to PostgreSQL 15's.
#
#   bash tests/conformance/run.sh [--no-docs] [PATH...]
#
# PATH: files or folders under the corpus's slt/ (default: all of it).
# Builds nothing if a binary exists: uses $QDB_BIN, else target/release/quorumdb if it is up to
# date with src/, else the newer of the release and debug binaries, else runs `cargo build` once. Starts it on an ephemeral port with a
# temporary data dir (`--wal-sync off`), runs the corpus's run.sh against it (user and database
# `quorumdb`), prints the table, and (unless --no-docs, or when only some PATHs were run)
# rewrites docs/compatibility.md with the table, the failing files and the PostgreSQL 15
# baseline from the corpus README.
#
# Exit status: 0 when the corpus ran, whatever the pass rate (SQL coverage is partial; CI only
# prints the table). 0 with a SKIP line when a prerequisite is missing (the corpus, the
# `sqllogictest` runner, psql). Non-zero only if the harness itself broke (server did not start).
#
# Environment: QDB_CONFORMANCE_DIR (default ../shared/conformance beside the repo), QDB_BIN,
# SLT_TIMEOUT (seconds per file; default 60 here, not the runner's 600), SLT_ENGINE,
# SLT_VERBOSE, QDB_CONFORMANCE_BUDGET (seconds for the whole run, default 900; files not reached
# count as failed "not run").
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CORPUS=${QDB_CONFORMANCE_DIR:-$ROOT/../shared/conformance}
WRITE_DOCS=1
if [ "${1:-}" = "--no-docs" ]; then WRITE_DOCS=0; shift; fi
[ $# -gt 0 ] && WRITE_DOCS=0

skip() { echo "SKIP conformance: $*"; exit 0; }
[ -f "$CORPUS/run.sh" ] && [ -d "$CORPUS/slt" ] || skip "no corpus at $CORPUS (expected ../shared/conformance beside the repo, or set QDB_CONFORMANCE_DIR)"
CORPUS=$(cd "$CORPUS" && pwd)
command -v sqllogictest >/dev/null 2>&1 || skip "the sqllogictest runner is not installed (cargo install sqllogictest-bin --version 0.29.1 --locked)"
command -v psql >/dev/null 2>&1 || skip "psql is not installed (apt-get install postgresql-client)"

# The binary: never rebuild if one exists.
BIN=${QDB_BIN:-}
if [ -z "$BIN" ]; then
  # The release binary (much faster) when no source file is newer than it (in CI, `cargo bench
  # --no-run` built it from the same tree), else the newer of release and debug.
  REL=$ROOT/target/release/quorumdb
  if [ -x "$REL" ] && [ -z "$(find "$ROOT/src" "$ROOT/Cargo.toml" "$ROOT/Cargo.lock" -newer "$REL" -print -quit 2>/dev/null)" ]; then
    BIN=$REL
  else
    for b in "$REL" "$ROOT/target/debug/quorumdb"; do
      if [ -x "$b" ] && { [ -z "$BIN" ] || [ "$b" -nt "$BIN" ]; }; then BIN=$b; fi
    done
  fi
fi
if [ -z "$BIN" ]; then
  echo "conformance: no quorumdb binary in target/; running cargo build"
  (cd "$ROOT" && cargo build --locked) || { echo "conformance: cargo build failed"; exit 1; }
  BIN=$ROOT/target/debug/quorumdb
fi

WORK=$(mktemp -d /tmp/qdb-conformance.XXXXXX)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  rm -rf "$WORK/data"
  echo "conformance: runner logs and server log kept in $WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Start the server on an ephemeral port; the port comes from its `listening on` line.
env -u QUORUMDB_PASSWORD RUST_LOG=info "$BIN" start --listen 127.0.0.1:0 --data-dir "$WORK/data" --wal-sync off \
  </dev/null >"$WORK/server.out" 2>"$WORK/server.log" &
SERVER_PID=$!
PORT=""
for _ in $(seq 1 300); do
  PORT=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$WORK/server.log" | head -1)
  [ -n "$PORT" ] && grep -q "ready to accept connections" "$WORK/server.log" && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$PORT" ] || ! kill -0 "$SERVER_PID" 2>/dev/null; then
  echo "conformance: quorumdb did not start ($BIN); its log:"; cat "$WORK/server.log"; exit 1
fi
VERSION=$("$BIN" --version 2>/dev/null | head -1)
COMMIT=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(cd "$ROOT" && git status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null | grep -q . && echo " + uncommitted changes in src/")
echo "conformance: $BIN (${VERSION:-quorumdb}, commit $COMMIT${DIRTY:-}) on 127.0.0.1:$PORT; corpus $CORPUS"

# Run the corpus's runner, bounded by the overall budget.
LOGS=$WORK/logs; mkdir -p "$LOGS"
BUDGET=${QDB_CONFORMANCE_BUDGET:-900}
start=$(date +%s)
PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=quorumdb PGDATABASE=quorumdb PGPASSWORD=unused \
  SLT_TIMEOUT=${SLT_TIMEOUT:-60} SLT_LOG_DIR=$LOGS \
  timeout --kill-after=10 "$BUDGET" bash "$CORPUS/run.sh" "$@" 2>&1 | if [ -n "${SLT_VERBOSE:-}" ]; then tee "$WORK/run.out"; else cat >"$WORK/run.out"; fi
rc=${PIPESTATUS[0]}
secs=$(( $(date +%s) - start ))
RESULTS=$LOGS/results.tsv
[ -f "$RESULTS" ] || : >"$RESULTS"
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
  echo "conformance: WARNING: quorumdb exited during the run; last lines of its log:"; tail -20 "$WORK/server.log"
fi

# Files that should have run; those missing from results.tsv were cut off by the budget.
[ $# -gt 0 ] || set -- "$CORPUS/slt"
ALL=$WORK/all.txt
for p in "$@"; do
  p=$(cd "$(dirname "$p")" && pwd)/$(basename "$p")
  if [ -d "$p" ]; then find "$p" \( -type f -o -type l \) \( -name '*.test' -o -name '*.slt' \); else echo "$p"; fi
done | sed "s|^$CORPUS/slt/||" | sort >"$ALL"
awk -F'\t' 'NR==FNR {done[$2]=1; next} !($0 in done) {f=$0; d=f; sub(/\/[^\/]*$/, "", d); printf "%s\t%s\tfail\t0\tnot run (overall budget of %ss used up)\n", d, f, b}' \
  b="$BUDGET" "$RESULTS" "$ALL" >>"$RESULTS"
[ $rc -eq 124 ] || [ $rc -eq 137 ] && echo "conformance: overall budget of ${BUDGET}s used up; files not reached count as failed"

# Per-folder table with PostgreSQL 15's numbers beside ours. pg15-failures.txt lists the files
# PostgreSQL fails; "PG-passing files failed" is the number that must reach 0.
PGFAIL=$CORPUS/pg15-failures.txt
TABLE=$WORK/table.md
awk -F'\t' -v pgf="$PGFAIL" '
  BEGIN { while ((getline l < pgf) > 0) if (l !~ /^#/ && l != "") pgfail[l] = 1 }
  { n[$1]++; N++; pg = !($2 in pgfail); if (pg) { pn[$1]++; PN++ }
    if ($3 == "pass") { p[$1]++; P++ } else if (pg) { reg[$1]++; REG++ } }
  END {
    print "| folder | files | passed | failed | pass % | PostgreSQL 15 passed | PG-passing files failed |"
    print "|---|---:|---:|---:|---:|---:|---:|"
    for (k in n) printf "| %s | %d | %d | %d | %.1f | %d | %d |\n", k, n[k], p[k], n[k]-p[k], 100*p[k]/n[k], pn[k], reg[k] | "sort"
    close("sort")
    if (N) printf "| **all** | **%d** | **%d** | **%d** | **%.1f** | **%d** | **%d** |\n", N, P, N-P, 100*P/N, PN, REG
  }' "$RESULTS" >"$TABLE"
total=$(wc -l <"$RESULTS" 2>/dev/null || echo 0); passed=$(awk -F'\t' '$3=="pass"' "$RESULTS" 2>/dev/null | wc -l)

echo
echo "SQL conformance on QuorumDB (${secs}s, SLT_TIMEOUT=${SLT_TIMEOUT:-60}s per file):"
sed -e 's/\*\*//g' -e '2d' "$TABLE" | awk -F' *[|] *' '{printf "  %-12s %6s %7s %7s %7s %11s %10s\n", $2, $3, $4, $5, $6, $7, $8}'
echo
if [ "$passed" -lt "$total" ]; then
  echo "failed files (first error):"
  awk -F'\t' '$3=="fail" {printf "  %s: %s\n", $2, $5}' "$RESULTS"
fi
echo "$passed passed, $((total - passed)) failed (conformance failures do not fail CI yet)"

if [ "$WRITE_DOCS" = 1 ] && [ "${total:-0}" -eq 0 ]; then
  echo "conformance: no results; docs/compatibility.md left as it was"
elif [ "$WRITE_DOCS" = 1 ]; then
  DOC=$ROOT/docs/compatibility.md
  BASELINE=$(awk '/^## Baseline/ {b=1; next} b && /^\|/ {print; t=1; next} t {exit}' "$CORPUS/README.md")
  {
    cat <<EOF
# PostgreSQL compatibility: SQL conformance

How QuorumDB answers the shared sqllogictest corpus (\`../shared/conformance\`, 63 files from
SQLite's sqllogictest and RisingLight; see its README). A file passes only if every record in
it passes; the runner stops a file at its first failure. The target is that every file
PostgreSQL 15 passes also passes on QuorumDB: the last column counts the files PostgreSQL 15
passes that QuorumDB fails, and must reach 0. Files PostgreSQL 15 itself fails (SQLite-isms,
listed in \`pg15-failures.txt\` there) are expected to fail here too.

Regenerate with \`bash tests/conformance/run.sh\` (starts a throwaway server from the existing
binary; needs \`sqllogictest\` 0.29.1 and psql). CI runs it after \`cargo test\` with
\`--no-docs\` and prints the same table; failures do not fail CI yet.

## QuorumDB

Last run: $(date -u '+%Y-%m-%d %H:%M UTC'), commit \`$COMMIT\`${DIRTY:-}, $(basename "$(dirname "$BIN")") binary, simple
query protocol, ${SLT_TIMEOUT:-60} s per file, ${secs} s in all on a shared 2-core machine.
**$passed of $total files pass.**

EOF
    cat "$TABLE"
    echo
    if [ "$passed" -lt "$total" ]; then
      echo "Failing files and the first failing record (\`db error\` means the runner did not show the"
      echo "server's message; run the SQL with psql to see it):"
      echo
      echo "| file | PostgreSQL 15 | first failure |"
      echo "|---|---|---|"
      awk -F'\t' -v pgf="$PGFAIL" '
        BEGIN { while ((getline l < pgf) > 0) if (l !~ /^#/ && l != "") pgfail[l] = 1 }
        $3 == "fail" { w = $5; gsub(/\|/, "\\|", w); gsub(/`/, "", w); gsub(/^ +| +$/, "", w)
          printf "| %s | %s | `%s` |\n", $2, ($2 in pgfail) ? "fails too" : "passes", w }' "$RESULTS"
      echo
    fi
    cat <<EOF
## Baseline: PostgreSQL 15

From the corpus README: PostgreSQL 15.18, \`initdb --locale=C.UTF-8\`, simple protocol, same
kind of 2-core machine; 55 of 63 files pass, in 3.5 to 4.2 minutes.

$BASELINE
EOF
  } >"$DOC.tmp" && mv "$DOC.tmp" "$DOC"
  echo "wrote $DOC"
fi
exit 0
