#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft, combined broker+controller) for dev and CI.
# Why: no Docker here; the broker runs straight from pinned Maven Central jars
# (scripts/infra/kafka-jars.txt) kept in a cache outside git.
#
# Usage: scripts/infra/kafka.sh {fetch|start|stop|status}
#   KAFKA_BOOTSTRAP_SERVERS  set => an external cluster is used; start/stop do nothing
#   KAFKA_PORT (19092), KAFKA_CONTROLLER_PORT (19093), KAFKA_HEAP_OPTS,
#   KAFKA_FRESH=1 (start with no topics: scripts/with-infra.sh, whose broker lives one run),
#   SLAWATCH_RUN (<repo>/.run), SLAWATCH_CACHE (~/.cache/slawatch),
#   SLAWATCH_MAVEN_REPO (Maven Central), JAVA_HOME
# status exits 0 when a broker answers, 3 when none does.
set -euo pipefail

# shellcheck source=scripts/infra/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

JARS_FILE="$INFRA_DIR/kafka-jars.txt"
MAVEN_REPO="${SLAWATCH_MAVEN_REPO:-https://repo1.maven.org/maven2}"
KAFKA_PORT="${KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
START_TIMEOUT_SECONDS=60
STOP_TIMEOUT_SECONDS=20

KAFKA_VERSION="$(awk -F: '$1 == "org.apache.kafka" && $2 == "kafka_2.13" {print $3}' "$JARS_FILE")"
[[ -n "$KAFKA_VERSION" ]] || die "no org.apache.kafka:kafka_2.13 line in $JARS_FILE"
LIBS_DIR="$CACHE_DIR/kafka-$KAFKA_VERSION/libs"
DATA_DIR="$RUN_DIR/kafka"
LOG_DIRS="$DATA_DIR/data"
SERVER_PROPS="$DATA_DIR/server.properties"
LOG4J_PROPS="$DATA_DIR/log4j.properties"
PID_FILE="$DATA_DIR/kafka.pid"
OUT_FILE="$DATA_DIR/kafka.out"
LOG_FILE="$DATA_DIR/kafka.log"
BOOTSTRAP="127.0.0.1:$KAFKA_PORT"

# ---------------------------------------------------------------- fetch

# The coordinates, without comments and blank lines.
jar_coords() { grep -Ev '^[[:space:]]*(#|$)' "$JARS_FILE"; }

# Fingerprint of the pinned list; libs/.complete holds it after a full fetch.
list_stamp() { jar_coords | sha1sum | cut -c1-40; }

fetch_one() {
    local coord="$1" group artifact version name url expected actual attempt tmp
    IFS=: read -r group artifact version <<<"$coord"
    [[ -n "$group" && -n "$artifact" && -n "$version" ]] || die "bad coordinate '$coord' in $JARS_FILE"
    name="$artifact-$version.jar"
    url="$MAVEN_REPO/${group//.//}/$artifact/$version/$name"
    tmp="$LIBS_DIR/.$name.$$.part"
    for attempt in 1 2 3; do
        expected="$(curl -fsSL --retry 5 --retry-delay 2 --retry-connrefused --connect-timeout 15 \
            --max-time 60 "$url.sha1" | grep -oE '^[0-9a-fA-F]{40}' | tr 'A-F' 'a-f')" || expected=""
        if [[ -z "$expected" ]]; then
            warn "could not read $url.sha1 (attempt $attempt)"
            sleep 2
            continue
        fi
        if [[ -f "$LIBS_DIR/$name" ]] && [[ "$(sha1sum "$LIBS_DIR/$name" | cut -c1-40)" == "$expected" ]]; then
            return 0
        fi
        if curl -fsSL --retry 5 --retry-delay 2 --retry-connrefused --connect-timeout 15 \
            --max-time 300 -o "$tmp" "$url"; then
            actual="$(sha1sum "$tmp" | cut -c1-40)"
            if [[ "$actual" == "$expected" ]]; then
                mv -f "$tmp" "$LIBS_DIR/$name"
                return 0
            fi
            warn "checksum mismatch for $name: got $actual, want $expected (attempt $attempt)"
        else
            warn "download failed: $url (attempt $attempt)"
        fi
        rm -f "$tmp"
        sleep 2
    done
    die "could not fetch a verified $name from $url"
}

cmd_fetch() {
    local stamp coord count=0 name
    stamp="$(list_stamp)"
    if [[ -f "$LIBS_DIR/.complete" && "$(cat "$LIBS_DIR/.complete")" == "$stamp" ]]; then
        log "Kafka $KAFKA_VERSION jars already in $LIBS_DIR"
        return 0
    fi
    need_cmd curl "install it: apt-get install -y curl"
    need_cmd sha1sum
    mkdir -p "$LIBS_DIR"
    # Jar file names must be unique: they share one directory.
    name="$(jar_coords | awk -F: '{print $2"-"$3".jar"}' | sort | uniq -d | head -n1)"
    [[ -z "$name" ]] || die "two coordinates in $JARS_FILE map to the same file $name"
    log "fetching Kafka $KAFKA_VERSION jars into $LIBS_DIR"
    local start=$SECONDS
    while IFS= read -r coord; do
        fetch_one "$coord"
        count=$((count + 1))
    done < <(jar_coords)
    # Drop jars that are no longer pinned so the classpath matches the list exactly.
    local keep
    keep="$(jar_coords | awk -F: '{print $2"-"$3".jar"}')"
    for f in "$LIBS_DIR"/*.jar; do
        [[ -e "$f" ]] || continue
        grep -qxF "$(basename "$f")" <<<"$keep" || { log "removing unpinned $(basename "$f")"; rm -f "$f"; }
    done
    printf '%s\n' "$stamp" >"$LIBS_DIR/.complete"
    log "fetched and verified $count jars ($(du -sh "$LIBS_DIR" | cut -f1)) in $((SECONDS - start))s"
}

# ---------------------------------------------------------------- probes

# kafka_probe: a real Metadata (v0) round trip; succeeds when the broker
# answers with at least one registered broker. Needs only python3's stdlib.
# The system python3 comes first: version-manager shims cost ~0.5 s per call.
kafka_probe() {
    local py=/usr/bin/python3
    [[ -x "$py" ]] || py="$(command -v python3)" || return 2
    "$py" -I - "127.0.0.1" "$KAFKA_PORT" <<'PY'
import socket, struct, sys
try:
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
    s.settimeout(2)
    cid = b"slawatch-probe"
    body = struct.pack(">hhih", 3, 0, 7, len(cid)) + cid + struct.pack(">i", 0)
    s.sendall(struct.pack(">i", len(body)) + body)
    def read(n):
        buf = b""
        while len(buf) < n:
            chunk = s.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf
    (size,) = struct.unpack(">i", read(4))
    if not 8 <= size <= 64 * 1024 * 1024:
        sys.exit(1)
    corr, brokers = struct.unpack(">ii", read(8))
    sys.exit(0 if corr == 7 and brokers >= 1 else 1)
except Exception:
    sys.exit(1)
PY
}

# our_pid: the pid of the broker this script started from DATA_DIR, if alive.
our_pid() {
    local pid
    pid="$(read_pid "$PID_FILE")"
    if [[ -n "$pid" ]] && pid_cmdline_has "$pid" "$SERVER_PROPS"; then
        printf '%s\n' "$pid"
    fi
}

# broker_ready [PID]: the port answers a metadata request (or, without python3,
# our broker logged that it started).
broker_ready() {
    port_open "$KAFKA_PORT" || return 1
    local rc=0
    kafka_probe || rc=$?
    if ((rc == 2)); then
        # No python3: fall back to the startup line our broker logged since launch.
        local offset
        offset="$(cat "$DATA_DIR/kafka.log.offset" 2>/dev/null || echo 0)"
        (($(stat -c %s "$LOG_FILE" 2>/dev/null || echo 0) >= offset)) || offset=0
        [[ -n "${1:-}" ]] && tail -c "+$((offset + 1))" "$LOG_FILE" 2>/dev/null | grep -q 'Kafka Server started'
        return
    fi
    return "$rc"
}

# ---------------------------------------------------------------- start

java_bin() {
    if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
        printf '%s\n' "$JAVA_HOME/bin/java"
    elif command -v java >/dev/null 2>&1; then
        command -v java
    else
        die "java not found: install a JDK/JRE 11+ (apt-get install -y openjdk-17-jre-headless) or set JAVA_HOME"
    fi
}

check_java() {
    local java="$1" line major
    line="$("$java" -version 2>&1 | head -n1)"
    major="$(sed -nE 's/.*version "(1\.)?([0-9]+).*/\2/p' <<<"$line")"
    [[ -n "$major" ]] || die "cannot read the Java version from: $line"
    ((major >= 11)) || die "Kafka $KAFKA_VERSION needs Java 11+, found: $line"
}

write_config() {
    mkdir -p "$LOG_DIRS"
    cat >"$SERVER_PROPS" <<EOF
# Generated by scripts/infra/kafka.sh on each start; edits are overwritten.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$LOG_DIRS
num.partitions=6
default.replication.factor=1
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=6
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.segment.bytes=16777216
log.retention.hours=24
log.cleaner.dedupe.buffer.size=33554432
EOF
    cat >"$LOG4J_PROPS" <<EOF
# Generated by scripts/infra/kafka.sh: WARN and above to $LOG_FILE.
log4j.rootLogger=WARN, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=$LOG_FILE
log4j.appender.file.MaxFileSize=10MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
# One INFO logger so the log shows "Kafka Server started" / shutdown lines.
log4j.logger.kafka.server.KafkaRaftServer=INFO
EOF
}

format_storage() {
    local java="$1" cluster_id out
    [[ -f "$LOG_DIRS/meta.properties" ]] && return 0
    # A Kafka Uuid: 16 random bytes, URL-safe base64 without padding (22 chars).
    cluster_id="$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    log "formatting storage in $LOG_DIRS (cluster id $cluster_id)"
    if ! out="$("$java" -Xmx256m -Dlog4j.configuration="file:$LOG4J_PROPS" -cp "$LIBS_DIR/*" \
        kafka.tools.StorageTool format --cluster-id="$cluster_id" -c "$SERVER_PROPS" 2>&1)"; then
        printf '%s\n' "$out" >&2
        die "formatting Kafka storage failed"
    fi
}

cmd_start() {
    if [[ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ]]; then
        log "KAFKA_BOOTSTRAP_SERVERS=$KAFKA_BOOTSTRAP_SERVERS: using that external cluster, not starting one"
        return 0
    fi
    local pid java
    take_lock "$DATA_DIR/.lock"
    pid="$(our_pid)"
    if [[ -n "$pid" ]] && broker_ready "$pid"; then
        log "already running (pid $pid) on $BOOTSTRAP"
        return 0
    fi
    if [[ -z "$pid" ]]; then
        wait_exited "$(read_pid "$PID_FILE")" "$SERVER_PROPS"
        rm -f "$PID_FILE"
        if port_open "$KAFKA_PORT"; then
            if broker_ready; then
                log "a Kafka broker not started from $DATA_DIR already answers on $BOOTSTRAP; reusing it"
                return 0
            fi
            die "port $KAFKA_PORT is taken by something that is not a Kafka broker; free it or set KAFKA_PORT"
        fi
        port_open "$KAFKA_CONTROLLER_PORT" &&
            die "controller port $KAFKA_CONTROLLER_PORT is taken; free it or set KAFKA_CONTROLLER_PORT"
        java="$(java_bin)"
        check_java "$java"
        cmd_fetch
        write_config
        if [[ "${KAFKA_FRESH:-0}" == 1 && -d "$LOG_DIRS" ]]; then
            # Test runs create topics under unique names; kept across runs they pile up
            # until the broker needs minutes to load them.
            log "KAFKA_FRESH=1: removing the topics of earlier runs in $LOG_DIRS"
            rm -rf "$LOG_DIRS"
        fi
        format_storage "$java"
        log "starting Kafka $KAFKA_VERSION on $BOOTSTRAP (data in $DATA_DIR)"
        : >"$OUT_FILE"
        stat -c %s "$LOG_FILE" >"$DATA_DIR/kafka.log.offset" 2>/dev/null || echo 0 >"$DATA_DIR/kafka.log.offset"
        # The inner bash records its own pid, then becomes the JVM (exec).
        # shellcheck disable=SC2016,SC2086  # $$ is the inner shell's; heap opts are a flag list
        nohup setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$PID_FILE" \
            "$java" $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
            -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
            -Djava.awt.headless=true -Dlog4j.configuration="file:$LOG4J_PROPS" \
            -Dkafka.logs.dir="$DATA_DIR" -cp "$LIBS_DIR/*" kafka.Kafka "$SERVER_PROPS" \
            </dev/null >>"$OUT_FILE" 2>&1 9>&- &
        # The pid file is written by the child; give it a moment.
        wait_for 5 "the pid file" test -s "$PID_FILE" || true
        pid="$(read_pid "$PID_FILE")"
    else
        log "broker pid $pid is starting; waiting for it"
    fi
    local t0=$SECONDS rc=0
    WAIT_ABORT_IF="! pid_alive '${pid:-0}'" \
        wait_for "$START_TIMEOUT_SECONDS" "Kafka on $BOOTSTRAP" broker_ready "$pid" || rc=$?
    if ((rc != 0)); then
        show_tail "$OUT_FILE" 20
        show_tail "$LOG_FILE" 40
        if pid_alive "${pid:-0}"; then
            kill -KILL "$pid" 2>/dev/null || true
            rm -f "$PID_FILE"
            die "Kafka did not become ready within ${START_TIMEOUT_SECONDS}s; killed pid $pid (logs above, in $DATA_DIR)"
        fi
        rm -f "$PID_FILE"
        die "Kafka exited during startup (logs above, in $DATA_DIR)"
    fi
    log "ready on $BOOTSTRAP (pid $pid, $((SECONDS - t0))s)"
}

# ---------------------------------------------------------------- stop/status

cmd_stop() {
    if [[ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ]]; then
        log "KAFKA_BOOTSTRAP_SERVERS=$KAFKA_BOOTSTRAP_SERVERS: external cluster, nothing to stop"
        return 0
    fi
    local pid
    take_lock "$DATA_DIR/.lock"
    pid="$(our_pid)"
    if [[ -z "$pid" ]]; then
        rm -f "$PID_FILE"
        if port_open "$KAFKA_PORT"; then
            log "not started by this script; something else listens on $BOOTSTRAP, leaving it alone"
        else
            log "not running"
        fi
        return 0
    fi
    log "stopping pid $pid"
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_for "$STOP_TIMEOUT_SECONDS" "pid $pid to exit" eval "! pid_alive $pid"; then
        warn "pid $pid ignored SIGTERM for ${STOP_TIMEOUT_SECONDS}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        wait_for 5 "pid $pid to die" eval "! pid_alive $pid" || die "pid $pid survived SIGKILL"
    fi
    rm -f "$PID_FILE"
    log "stopped"
}

cmd_status() {
    if [[ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ]]; then
        echo "external cluster: $KAFKA_BOOTSTRAP_SERVERS"
        return 0
    fi
    local pid
    pid="$(our_pid)"
    if broker_ready "$pid"; then
        if [[ -n "$pid" ]]; then
            echo "running: Kafka $KAFKA_VERSION on $BOOTSTRAP (pid $pid, data $DATA_DIR)"
        else
            echo "running: a broker not started by this script answers on $BOOTSTRAP"
        fi
        return 0
    fi
    if [[ -n "$pid" ]]; then
        echo "starting or unhealthy: pid $pid does not answer on $BOOTSTRAP (see $LOG_FILE)"
    else
        echo "not running (port $KAFKA_PORT)"
    fi
    return 3
}

case "${1:-}" in
fetch) cmd_fetch ;;
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
*)
    echo "usage: $0 {fetch|start|stop|status}" >&2
    exit 2
    ;;
esac
