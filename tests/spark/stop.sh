#!/usr/bin/env bash
# Stops what tests/spark/start.sh started (the Connect server, the worker, the master), each by the
# pid file Spark wrote for it; prints the logs first when asked (`stop.sh --logs`, as CI does on a
# failure). Safe to run when nothing is running.
set -uo pipefail
state="${THREATLENS_SPARK_STATE:-${TMPDIR:-/tmp}/threatlens-spark}"
venv="${THREATLENS_SPARK_VENV:-${TMPDIR:-/tmp}/threatlens-spark-venv}"
if [ "${1:-}" = "--logs" ]; then
  for f in "$state"/logs/*; do
    [ -f "$f" ] || continue
    printf '\n----- %s (last 80 lines)\n' "$f" >&2
    tail -n 80 "$f" >&2
  done
fi
[ -x "$venv/bin/python" ] || exit 0
SPARK_HOME="$("$venv/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))' 2>/dev/null)" || exit 0
export SPARK_HOME SPARK_LOG_DIR="$state/logs" SPARK_PID_DIR="$state/pids" SPARK_IDENT_STRING=threatlens
daemon="$SPARK_HOME/sbin/spark-daemon.sh"
for class in org.apache.spark.sql.connect.service.SparkConnectServer \
             org.apache.spark.deploy.worker.Worker \
             org.apache.spark.deploy.master.Master; do
  timeout 60 "$daemon" stop "$class" 1 >&2 || true
done
