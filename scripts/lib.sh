# Shared by the scripts: where the project is, the JVM flags every JVM here needs, the classpath.
# Source it; do not run it.

CKA_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CKA_CACHE="${CKA_CACHE:-$CKA_HOME/.cache}"

# DJL must not reach the network at start-up (STACK.md); Spark stays on loopback.
export OPT_OUT_TRACKING=true
# Back large native allocations (libtorch tensors) with transparent huge pages: on VMs where each fresh
# 4 KiB page fault is costly this makes the forward pass ~3x faster (docs/performance.md).
export GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.hugetlb=1}"
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
export SPARK_SCALA_VERSION=2.12

CKA_JVM_FLAGS=(
  -Dai.djl.offline=true -DOPT_OUT_TRACKING=true
  -DDJL_CACHE_DIR="$CKA_CACHE/djl" -Dorg.bytedeco.javacpp.cachedir="$CKA_CACHE/javacpp"
  -Djava.awt.headless=true
  -Dlog4j2.configurationFile="$CKA_HOME/conf/log4j2.properties"
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
  --add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED
  -Djdk.reflect.useDirectMethodHandle=false -Dio.netty.tryReflectionSetAccessible=true
)

# Maven, quiet and plain, for builds the scripts start on the user's behalf: nothing but errors, and no
# colour codes. -Dstyle.color=never turns Maven's own colours off; the JVM property jansi.noreset (it must
# be in MAVEN_OPTS: jansi starts before Maven reads its -D flags) stops Maven 3.8's jansi 2.x writing a
# reset code (ESC[0m) to stdout and stderr at start and exit, even in batch mode.
cka_mvn() {
  MAVEN_OPTS="${MAVEN_OPTS:+$MAVEN_OPTS }-Djansi.noreset=true" mvn -B -q -Dstyle.color=never "$@"
}

# Builds the project when it is not built yet (or the sources are newer), then prints its classpath:
# the classes, the app's jars and Spark's (provided) jars.
cka_classpath() {
  local target="$CKA_HOME/target"
  if [[ ! -f "$target/classpath-compile.txt" || ! -d "$target/classes" ]] \
      || [[ -n "$(find "$CKA_HOME/src/main" "$CKA_HOME/pom.xml" -newer "$target/classpath-compile.txt" -print -quit)" ]]; then
    echo "cka-atlas: building (mvn -q -DskipTests compile) ..." >&2
    (cd "$CKA_HOME" && cka_mvn -DskipTests compile >&2) || { echo "cka-atlas: build failed" >&2; exit 1; }
    touch "$target/classpath-compile.txt"
  fi
  echo "$target/classes:$(cat "$target/classpath-runtime.txt"):$(cat "$target/classpath-compile.txt")"
}
