#!/usr/bin/env bash
# Starts a real Spark cluster on this machine for the Spark parity tests: a standalone master and
# one worker bound to 127.0.0.1, and the Spark Connect server attached to that master, listening on
# 127.0.0.1:$THREATLENS_SPARK_PORT (default 15002). Installs what it needs: OpenJDK 17 (Debian)
# and PySpark from PyPI into a venv (PySpark ships the Spark jars and the Connect server; nothing
# else is downloaded). Waits for each part with a timeout and prints its log when it fails.
# Prints `export THREATLENS_SPARK=sc://127.0.0.1:PORT` on success. tests/spark/stop.sh stops it.
set -euo pipefail

version="${THREATLENS_PYSPARK_VERSION:-4.3.0}"
state="${THREATLENS_SPARK_STATE:-${TMPDIR:-/tmp}/threatlens-spark}"
venv="${THREATLENS_SPARK_VENV:-${TMPDIR:-/tmp}/threatlens-spark-venv}"
port="${THREATLENS_SPARK_PORT:-15002}"
master_port="${THREATLENS_SPARK_MASTER_PORT:-7077}"
cores="${THREATLENS_SPARK_CORES:-2}"
memory="${THREATLENS_SPARK_MEMORY:-3g}"
say() { printf 'spark: %s\n' "$*" >&2; }

apt_install() {
  say "installing $* (apt)"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Java 17: Debian's headless JRE unless one is already here.
if [ -z "${JAVA_HOME:-}" ]; then
  for d in /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/java-17-openjdk-arm64 /usr/lib/jvm/java-17-openjdk; do
    [ -x "$d/bin/java" ] && JAVA_HOME="$d" && break
  done
fi
if [ -z "${JAVA_HOME:-}" ]; then
  apt_install openjdk-17-jre-headless
  JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
fi
export JAVA_HOME
"$JAVA_HOME/bin/java" -version 2>&1 | head -1 >&2

# PySpark (the Spark distribution) into its own venv.
if ! "$venv/bin/python" -c "import pyspark, sys; sys.exit(pyspark.__version__ != '$version')" >/dev/null 2>&1; then
  command -v python3 >/dev/null 2>&1 || apt_install python3
  python3 -m venv "$venv" >/dev/null 2>&1 || { apt_install python3-venv; python3 -m venv "$venv"; }
  say "installing pyspark==$version (PyPI)"
  timeout 900 "$venv/bin/pip" install -q "pyspark==$version"
fi
SPARK_HOME="$("$venv/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')"
export SPARK_HOME
say "Spark $version in $SPARK_HOME"

mkdir -p "$state/logs" "$state/pids" "$state/work" "$state/warehouse" "$state/tmp"
export SPARK_LOG_DIR="$state/logs" SPARK_PID_DIR="$state/pids" SPARK_WORKER_DIR="$state/work"
export SPARK_LOCAL_IP=127.0.0.1 SPARK_LOCAL_DIRS="$state/tmp" SPARK_IDENT_STRING=threatlens
export SPARK_DAEMON_MEMORY=512m
unset SPARK_NO_DAEMONIZE
export SPARK_MASTER_OPTS="-Dspark.master.rest.enabled=false"
daemon="$SPARK_HOME/sbin/spark-daemon.sh"
chmod +x "$daemon" "$SPARK_HOME"/sbin/*.sh "$SPARK_HOME"/bin/* 2>/dev/null || true

show_logs() {
  for f in "$SPARK_LOG_DIR"/*; do
    [ -f "$f" ] || continue
    printf '\n----- %s (last 80 lines)\n' "$f" >&2
    tail -n 80 "$f" >&2
  done
}

# wait_for WHAT SECONDS COMMAND...: polls until COMMAND succeeds; prints the logs on timeout.
wait_for() {
  local what="$1" secs="$2"; shift 2
  local end=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$end" ]; then
      say "$what did not come up within ${secs}s; logs follow"
      show_logs
      exit 1
    fi
    sleep 1
  done
  say "$what is up"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
worker_registered() { grep -q "Successfully registered with master" "$SPARK_LOG_DIR"/*Worker*.out; }

"$daemon" start org.apache.spark.deploy.master.Master 1 \
  --host 127.0.0.1 --port "$master_port" --webui-port 0 >/dev/null
wait_for "master (127.0.0.1:$master_port)" 120 port_open "$master_port"

"$daemon" start org.apache.spark.deploy.worker.Worker 1 \
  --host 127.0.0.1 --webui-port 0 --cores "$cores" --memory "$memory" \
  "spark://127.0.0.1:$master_port" >/dev/null
wait_for "worker" 120 worker_registered

# THREATLENS_SPARK_CONF: more `key=value` settings for the Connect server, separated by spaces.
extra_conf=()
for kv in ${THREATLENS_SPARK_CONF:-}; do extra_conf+=(--conf "$kv"); done

"$daemon" submit org.apache.spark.sql.connect.service.SparkConnectServer 1 \
  --name "threatlens Spark Connect" \
  --master "spark://127.0.0.1:$master_port" \
  --conf spark.driver.host=127.0.0.1 \
  --conf spark.driver.bindAddress=127.0.0.1 \
  --conf "spark.driver.memory=${THREATLENS_SPARK_DRIVER_MEMORY:-2g}" \
  --conf "spark.executor.memory=${THREATLENS_SPARK_EXECUTOR_MEMORY:-2g}" \
  --conf spark.ui.enabled=false \
  --conf spark.sql.session.timeZone=UTC \
  --conf "spark.sql.warehouse.dir=$state/warehouse" \
  --conf "spark.driver.extraJavaOptions=-Dderby.system.home=$state/tmp" \
  --conf spark.connect.grpc.binding.address=127.0.0.1 \
  "${extra_conf[@]}" \
  --conf "spark.connect.grpc.binding.port=$port" \
  spark-internal >/dev/null
wait_for "Spark Connect server (127.0.0.1:$port)" 180 port_open "$port"

echo "export THREATLENS_SPARK=sc://127.0.0.1:$port"
