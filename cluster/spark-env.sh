# Sourced by the scripts in cluster/: a Spark home made of the project's own Maven jars, so a
# cluster needs no Spark installation. On several nodes, the checkout (or at least
# spark-job/target/) must be on a filesystem every node sees at the same path.
CLIP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLIP_APP_JAR="$CLIP_ROOT/spark-job/target/clip-spark-job.jar"
CLIP_CP_FILE="$CLIP_ROOT/spark-job/target/classpath.txt"

if [[ ! -f "$CLIP_CP_FILE" || ! -f "$CLIP_APP_JAR" ]]; then
  echo "cluster: project not built yet; building it once (mvn -DskipTests package)..." >&2
  (cd "$CLIP_ROOT" && mvn -q -B -ntp -DskipTests package) >&2
fi

# Spark's launcher builds executor command lines from $SPARK_HOME/jars; it must also be told the
# Scala version, which a Spark distribution would have recorded in its own layout.
export SPARK_HOME="${CLIP_SPARK_HOME:-$CLIP_ROOT/spark-job/target/spark-home}"
export SPARK_SCALA_VERSION=2.12
# Executors inherit this from the worker daemons: ND4J's OpenMP threads must sleep, not spin,
# while OpenBLAS's threads run a matrix product (spinning doubled the training step here).
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
# Daemons started together on one node all find the jars stale: one rebuilds them under a lock,
# into a fresh folder swapped in by rename, so no daemon ever lists a half-linked jars/ (a race
# that failed daemons with ClassNotFoundException).
clip_jars_stale() {
  [[ ! -d "$SPARK_HOME/jars" || "$CLIP_CP_FILE" -nt "$SPARK_HOME/jars" || "$CLIP_APP_JAR" -nt "$SPARK_HOME/jars" ]]
}
if clip_jars_stale; then
  mkdir -p "$SPARK_HOME"
  (
    flock 9
    if clip_jars_stale; then
      fresh="$SPARK_HOME/jars.$$"
      rm -rf "$fresh" "$SPARK_HOME/jars.old" && mkdir -p "$fresh"
      tr ':' '\n' < "$CLIP_CP_FILE" | while read -r jar; do
        [[ -n "$jar" ]] && ln -sf "$jar" "$fresh/"
      done
      ln -sf "$CLIP_APP_JAR" "$fresh/"
      [[ -d "$SPARK_HOME/jars" ]] && mv "$SPARK_HOME/jars" "$SPARK_HOME/jars.old"
      mv "$fresh" "$SPARK_HOME/jars"
      rm -rf "$SPARK_HOME/jars.old"
    fi
  ) 9>"$SPARK_HOME/.jars.lock"
fi

# The JDK's Vector API, which the model's SIMD kernels (GELU, LayerNorm) need in every JVM that trains.
CLIP_VECTOR_MODULE=--add-modules=jdk.incubator.vector
# JavaCPP reads the process's resident memory (from /proc) at every native allocation it tracks,
# under a global lock: 3 of the 10 us that a small ND4J array costs here, 1.5% of the tiny training
# step (BENCHMARKS.md, "Fourteenth session"). 0 turns that check off; its guard on the bytes it
# tracks (maxBytes, the heap's size by default) stays.
CLIP_JAVACPP_OPTS=-Dorg.bytedeco.javacpp.maxPhysicalBytes=0
# Spark on Java 17 needs these opens in every JVM it starts itself (executors get them from Spark).
CLIP_JAVA_OPENS=(--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
  --add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED -Djdk.reflect.useDirectMethodHandle=false)
