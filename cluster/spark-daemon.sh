#!/usr/bin/env bash
# cluster/spark-daemon.sh master|worker [Spark's own options]: one Spark standalone daemon in the
# foreground, from the project's jars. standalone.sh runs it in the background on this machine;
# multi_node.sh runs it under srun on each node of an allocation. CLIP_SPARK_PROPERTIES names a
# properties file (e.g. with spark.authenticate and its secret) the daemon reads.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/spark-env.sh"
case "${1:-}" in
  master) CLASS=org.apache.spark.deploy.master.Master ;;
  worker) CLASS=org.apache.spark.deploy.worker.Worker ;;
  *) echo "usage: cluster/spark-daemon.sh master|worker [options]" >&2; exit 2 ;;
esac
shift
PROPS=()
[[ -n "${CLIP_SPARK_PROPERTIES:-}" ]] && PROPS=(--properties-file "$CLIP_SPARK_PROPERTIES")
exec java ${CLIP_DAEMON_JAVA_OPTS:--Xmx1g} "${CLIP_JAVA_OPENS[@]}" \
  -Dlog4j2.configurationFile="$CLIP_ROOT/cluster/log4j2.properties" -cp "$SPARK_HOME/jars/*" "$CLASS" "$@" "${PROPS[@]}"
