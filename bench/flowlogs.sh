#!/usr/bin/env bash
# Flow logs in a folder: threatlens vs DuckDB's read_csv on the same gzip files (issue 14).
# Usage: bench/flowlogs.sh target/release/threatlens [WORKDIR]
# Makes ~10.4 M flow records (COPIES=13 copies of `demo --format vpc-flow --rows 500000`, 1014 gzip
# files in the S3 layout) under WORKDIR, then times, with peak memory (/usr/bin/time -v), RUNS=2 times:
#   threatlens load only (target/release/examples/load_bench DIR, next to the binary; build it with
#                         `cargo build --release --example load_bench`): rows, bytes held per record
#   threatlens summary DIR --format json   (load + every statistic, correlation, rankings, quality)
#   DuckDB, streaming:    SELECT count(*), sum(bytes), avg(packets) FROM read_csv('DIR/**/*.log.gz', delim=' ')
#   DuckDB, materialised: CREATE TABLE t AS SELECT * FROM read_csv(…)  (holds the rows, as threatlens does)
# SUMMARY=0 leaves out the summary runs. DuckDB comes from PyPI into a venv under WORKDIR. Wall-clock figures depend on the machine's load.
set -euo pipefail
bin=${1:?path to the threatlens binary}
work=${2:-/tmp/threatlens-flowbench}
mkdir -p "$work"
if [ ! -d "$work/flows" ]; then
  "$bin" demo --format vpc-flow --rows 500000 -o "$work/base"
  for i in $(seq -w 1 "${COPIES:-13}"); do mkdir -p "$work/flows/copy$i" && cp -r "$work/base/AWSLogs" "$work/flows/copy$i/"; done
  rm -rf "$work/base"
fi
if [ ! -x "$work/venv/bin/python" ]; then
  python3 -m venv "$work/venv" && "$work/venv/bin/pip" install -q duckdb
fi
lscpu | grep -E 'Model name|^CPU\(s\)|Flags' | sed 's/Flags:.*/Flags: (see lscpu; avx2: '"$(grep -c avx2 /proc/cpuinfo >/dev/null && echo yes || echo no)"')/'
echo "records: $(find "$work/flows" -name '*.log.gz' -exec zcat {} + | grep -vc '^version')"
run() { /usr/bin/time -v "$@" 2> "$work/time.txt" >/dev/null; grep -E 'Elapsed|Maximum resident|User time|System time' "$work/time.txt"; }
load_bench="$(dirname "$bin")/examples/load_bench"
for i in $(seq 1 "${RUNS:-2}"); do
  if [ -x "$load_bench" ]; then
    echo "threatlens load only (run $i):"
    /usr/bin/time -v "$load_bench" "$work/flows" 2> "$work/time.txt" | sed -n 1p
    grep -E 'Elapsed|Maximum resident|User time|System time' "$work/time.txt"
  fi
  if [ "${SUMMARY:-1}" != 0 ]; then
    echo "threatlens summary (run $i):"; run "$bin" summary "$work/flows" --format json
  fi
  src="read_csv('$work/flows/**/*.log.gz', delim=' ', header=true, nullstr='-')"
  echo "duckdb read_csv, streaming aggregate (run $i):"
  run "$work/venv/bin/python" -c "
import duckdb
duckdb.sql('SET enable_progress_bar = false')
print(duckdb.sql(\"SELECT count(*), sum(bytes), avg(packets) FROM $src\").fetchall())"
  echo "duckdb read_csv, materialised table (run $i):"
  run "$work/venv/bin/python" -c "
import duckdb
duckdb.sql('SET enable_progress_bar = false')
duckdb.sql(\"CREATE TABLE t AS SELECT * FROM $src\")
print(duckdb.sql('SELECT count(*) FROM t').fetchall())"
done
