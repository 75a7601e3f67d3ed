#!/usr/bin/env bash
# netns-cluster.sh: run a three-host MPETL cluster on one machine with network namespaces
# and check that work really spreads over the worker hosts (or, with --cut-link, that a
# host whose network link goes down mid-run loses nothing: its workers' batches are replayed
# to the others and replacements start, and the output is still exact).
#
# Usage (as root, needs iproute2, python3 and coreutils `timeout`):
#   deploy/netns-cluster.sh [--cut-link] [BIN_DIR]
#
#   BIN_DIR       directory holding mpetl-coordinator and mpetl-test-programs; default
#                 $MPETL_BIN, else `swift build --show-bin-path` run in the repository root
#                 (build first: `swift build`).
#   --cut-link    mid-run, take hostC's link down and expect the launch to name hostC as
#                 having stopped answering, replay its work, and finish with the exact
#                 output within 60 s.
#
# Environment (all optional):
#   MPETL_BIN          as BIN_DIR above.
#   MPETL_NETNS_TAG    suffix of the namespace names (default: this script's PID), so
#                      parallel runs do not clash. The script refuses to run if a namespace
#                      with its names already exists.
#   MPETL_PORT         coordinator port (default 5555; every run has its own namespaces,
#                      so parallel runs may use the same port).
#   MPETL_ITEMS        items to feed (default 40000; 26000 with --cut-link).
#   MPETL_WORK_US      microseconds of work per item (default 200; 2000 with --cut-link).
#   MPETL_KEEP_LOGS=1  keep the temporary directory with logs and key (path printed).
#
# Layout (the root network namespace is not touched):
#   mpetl-net-TAG    bridge br0 with veth ports v-coord, v-hostb, v-hostc
#   mpetl-coord-TAG  eth0 10.77.0.1/24  `mpetl-coordinator launch` + the driver
#   mpetl-hostb-TAG  eth0 10.77.0.2/24  `mpetl-coordinator worker --name hostB --slots 2`
#   mpetl-hostc-TAG  eth0 10.77.0.3/24  `mpetl-coordinator worker --name hostC --slots 2`
#
# Everything created (namespaces, hence their veths and the bridge, every process running in
# them, the temp directory) is removed on exit, whether the run passed, failed or was
# interrupted. Every wait is bounded by a timeout. Exit status: 0 on PASS, 1 on FAIL,
# 2 on a usage or environment problem.

set -euo pipefail

readonly SELF=${0##*/}
MODE=normal
BIN=${MPETL_BIN:-}

usage() { sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0" | sed '$d'; }

while (($#)); do
    case $1 in
        --cut-link) MODE=cut-link ;;
        -h|--help) usage; exit 0 ;;
        -*) echo "$SELF: unknown option $1" >&2; usage >&2; exit 2 ;;
        *) BIN=$1 ;;
    esac
    shift
done

log() { printf '%s: %s\n' "$SELF" "$*" >&2; }
die() { log "$*"; exit 2; }

[[ $EUID -eq 0 ]] || die "must run as root (it creates network namespaces)"
for tool in ip python3 timeout; do
    command -v "$tool" >/dev/null || die "$tool not found"
done

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -z $BIN ]]; then
    BIN=$(cd "$REPO" && timeout 300 swift build --show-bin-path) || die "cannot find the build directory; pass BIN_DIR"
fi
[[ -d $BIN ]] || die "no such directory: $BIN"
BIN=$(cd "$BIN" && pwd)
COORDINATOR=$BIN/mpetl-coordinator
PROGRAM=$BIN/mpetl-test-programs
for exe in "$COORDINATOR" "$PROGRAM"; do
    [[ -x $exe ]] || die "$exe missing: run \`swift build\` first or pass BIN_DIR"
done

TAG=${MPETL_NETNS_TAG:-$$}
PORT=${MPETL_PORT:-5555}
if [[ $MODE == cut-link ]]; then
    ITEMS=${MPETL_ITEMS:-26000}
    WORK_US=${MPETL_WORK_US:-2000}
else
    ITEMS=${MPETL_ITEMS:-40000}
    WORK_US=${MPETL_WORK_US:-200}
fi
readonly NS_NET=mpetl-net-$TAG NS_COORD=mpetl-coord-$TAG NS_B=mpetl-hostb-$TAG NS_C=mpetl-hostc-$TAG
readonly COORD_IP=10.77.0.1 ENDPOINT=tcp://10.77.0.1:$PORT
readonly LAUNCH_TIMEOUT=120   # whole launch, normal mode
readonly CUT_DEADLINE=60      # seconds the launch may take to finish after the cut
# The coordinator declares a silent worker host lost after this many seconds (launch
# --heartbeat-timeout; the default is 30). The cut-link check sets it low to stay short; the
# launch must then finish within about this plus one heartbeat after the cut, plus the replay.
HEARTBEAT_TIMEOUT=${MPETL_HEARTBEAT_TIMEOUT:-5}
readonly START_TIMEOUT=30     # seconds for the pipeline to be seen running (cut mode)

existing=$(ip netns list | awk '{print $1}')
for ns in "$NS_NET" "$NS_COORD" "$NS_B" "$NS_C"; do
    if grep -qxF "$ns" <<<"$existing"; then
        die "namespace $ns already exists (another run, or a leftover): refusing; set MPETL_NETNS_TAG or delete it"
    fi
done

CREATED_NS=()
BG_PIDS=()
declare -A SEEN_PIDS=()   # every process seen in our namespaces, to check they leave nothing in /tmp
WORK=

# Kill every process living in our namespaces (all of them were started by this script or by
# the processes it started), then delete the namespaces: that also destroys the veth pairs
# and the bridge inside them.
cleanup() {
    local status=$? ns pid pids deadline
    trap - EXIT INT TERM
    set +e
    for pid in "${BG_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for ns in "${CREATED_NS[@]}"; do
        pids=$(ip netns pids "$ns" 2>/dev/null)
        for pid in $pids; do kill -TERM "$pid" 2>/dev/null; done
    done
    deadline=$((SECONDS + 5))
    while ((SECONDS < deadline)); do
        pids=
        for ns in "${CREATED_NS[@]}"; do pids+=$(ip netns pids "$ns" 2>/dev/null); done
        [[ -z $pids ]] && break
        sleep 0.2
    done
    for ns in "${CREATED_NS[@]}"; do
        pids=$(ip netns pids "$ns" 2>/dev/null)
        for pid in $pids; do kill -KILL "$pid" 2>/dev/null; done
    done
    for pid in "${BG_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
    for ns in "${CREATED_NS[@]}"; do
        ip netns del "$ns" 2>/dev/null || log "warning: could not delete namespace $ns"
    done
    if [[ -n $WORK ]]; then
        if [[ ${MPETL_KEEP_LOGS:-0} == 1 ]]; then log "logs kept in $WORK"; else rm -rf "$WORK"; fi
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

WORK=$(mktemp -d /tmp/mpetl-netns."$TAG".XXXXXX)
# Run a snapshot of the binaries: driver and worker hosts must be the same build (a worker of
# another build is refused), and a concurrent `swift build` must not replace them mid-run.
mkdir "$WORK/bin"
cp "$COORDINATOR" "$PROGRAM" "$WORK/bin/"
COORDINATOR=$WORK/bin/mpetl-coordinator
PROGRAM=$WORK/bin/mpetl-test-programs
"$COORDINATOR" --help >/dev/null || die "$BIN/mpetl-coordinator does not run (being rebuilt?)"
KEYS=$WORK/cluster.key

# --- network --------------------------------------------------------------------------
setup_network() {
    local ns
    for ns in "$NS_NET" "$NS_COORD" "$NS_B" "$NS_C"; do
        ip netns add "$ns"
        CREATED_NS+=("$ns")
        ip -n "$ns" link set lo up
    done
    ip -n "$NS_NET" link add br0 type bridge
    ip -n "$NS_NET" link set br0 up
    local spec name target addr
    for spec in "coord $NS_COORD 10.77.0.1" "hostb $NS_B 10.77.0.2" "hostc $NS_C 10.77.0.3"; do
        read -r name target addr <<<"$spec"
        # Created inside the bridge namespace, the peer moved straight into the host's one.
        ip -n "$NS_NET" link add "v-$name" type veth peer name eth0 netns "$target"
        ip -n "$NS_NET" link set "v-$name" master br0 up
        ip -n "$target" addr add "$addr/24" dev eth0
        ip -n "$target" link set eth0 up
    done
}

# --- helpers --------------------------------------------------------------------------
# in_ns NS CMD...: run CMD inside namespace NS.
# alive PID: PID runs and is not a zombie (kill -0 succeeds on an unreaped child, and a
# $(...) subshell never reaps its parent's children).
alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]]
}
# note_pids: remember the processes now running in our namespaces.
note_pids() {
    local ns pid
    for ns in "${CREATED_NS[@]}"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do SEEN_PIDS[$pid]=1; done
    done
}
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# Prints the tail of the logs, for a failure.
show_logs() {
    local f
    for f in "$WORK"/*.log "$WORK"/launch.err "$WORK"/launch.out; do
        [[ -s $f ]] || continue
        echo "----- ${f##*/} (last 25 lines)" >&2
        tail -n 25 "$f" >&2
    done
}

fail() {
    log "$*"
    show_logs
    echo "FAIL ($MODE): $*"
    exit 1
}

# no_files_left: MPETL keeps its ipc:// sockets in the abstract namespace, so no process of
# the run (the launch, its program, worker hosts, workers, the cut-off ones) leaves a file in /tmp.
no_files_left() {
    local pid left=
    note_pids
    for pid in "${!SEEN_PIDS[@]}"; do left+=$(find /tmp -maxdepth 1 -name "mpetl-$pid-*" 2>/dev/null); done
    [[ -z $left ]] || fail "MPETL processes left files in /tmp: $left"
}

start_worker_host() {   # NS NAME
    # Each worker host runs the same program and arguments as the driver: its workers read
    # --work-us from their own command line.
    in_ns "$1" timeout --kill-after=5 $((LAUNCH_TIMEOUT + 60)) \
        "$COORDINATOR" worker --connect "$ENDPOINT" --keys "$KEYS" --slots 2 --name "$2" \
        -- "$PROGRAM" hosts --items "$ITEMS" --work-us "$WORK_US" >"$WORK/$2.log" 2>&1 &
    BG_PIDS+=($!)
}

# The launch's stderr says which worker hosts joined; wait (bounded) until it names both.
joined() { grep -q "worker host $1 joined" "$WORK/launch.err" 2>/dev/null; }

# Checks the driver's JSON line; prints a one-line verdict and returns non-zero when wrong.
check_result() {   # FILE ITEMS
    python3 - "$1" "$2" <<'PY'
import json, sys
path, items = sys.argv[1], int(sys.argv[2])
lines = [l for l in open(path) if l.strip().startswith("{")]
if not lines:
    print("no JSON line on the driver's stdout"); sys.exit(1)
r = json.loads(lines[-1])
per = r.get("perHost", {})
problems = []
if "error" in r: problems.append("driver error: %s" % r["error"])
if r.get("count") != items: problems.append("count %s != %d" % (r.get("count"), items))
if r.get("missing") != 0: problems.append("missing %s" % r.get("missing"))
if r.get("extra") != 0: problems.append("extra %s" % r.get("extra"))
for host in ("hostB", "hostC"):
    if per.get(host, 0) <= 0: problems.append("%s processed nothing" % host)
if sum(per.values()) != r.get("count"): problems.append("perHost sums to %d" % sum(per.values()))
print("; ".join(problems) if problems else
      "count=%d missing=0 extra=0 perHost=%s" % (r["count"], json.dumps(per, sort_keys=True)))
sys.exit(1 if problems else 0)
PY
}

# Checks the launch's closing summary (--progress plain): every stage finished exactly ITEMS
# items in and out, with nothing queued, also after a host was lost (its replays apart).
check_summary() {   # FILE ITEMS
    python3 - "$1" "$2" <<'PY'
import re, sys
path, items = sys.argv[1], int(sys.argv[2])
row = re.compile(r"^summary:\s+((?:origin|task|destination) \d+ \(.*?\))\s+([\d,]+)\s+([\d,]+)\s+\d+%\s+([\d,]+)")
stages = [m.groups() for m in map(row.match, open(path)) if m]
number = lambda text: int(text.replace(",", ""))
problems = ["%s: items %s, out %s, queue %s" % s for s in stages
            if (number(s[1]), number(s[2]), number(s[3])) != (items, items, 0)]
if len(stages) != 3: problems.append("the summary shows %d stage rows, not 3" % len(stages))
print("; ".join(problems) if problems else "every stage %d in, %d out, queue 0" % (items, items))
sys.exit(1 if problems else 0)
PY
}

# Polls `mpetl-coordinator status` until the pipeline runs with hostC's workers in the task
# stage and items have gone through it. Prints the task stage's counts.
wait_running() {
    local deadline=$((SECONDS + START_TIMEOUT)) json verdict
    while ((SECONDS < deadline)); do
        alive "$LAUNCH_PID" || return 1
        json=$(in_ns "$NS_COORD" env MPETL_KEYS="$KEYS" timeout 5 \
            "$COORDINATOR" status "$ENDPOINT" --json --timeout 1 2>/dev/null) || json=
        if [[ -n $json ]] && verdict=$(python3 -c '
import json, sys
for p in json.loads(sys.argv[1]):
    if p.get("state") != "running": continue
    for s in p["stages"]:
        if s["label"].startswith("task") and s["workersPerHost"].get("hostC", 0) > 0 and s["itemsOut"] > 0:
            print("task in=%d out=%d workers=%s" % (s["itemsIn"], s["itemsOut"],
                  json.dumps(s["workersPerHost"], sort_keys=True))); sys.exit(0)
sys.exit(1)' "$json"); then
            echo "$verdict"
            return 0
        fi
        sleep 0.2
    done
    return 1
}

# --- run ------------------------------------------------------------------------------
setup_network
"$COORDINATOR" keys --output "$KEYS" >/dev/null
log "mode $MODE, namespaces *-$TAG, bin $BIN, $ITEMS items, ${WORK_US} us each"

start_worker_host "$NS_B" hostB
start_worker_host "$NS_C" hostC

started=$SECONDS
start_ns=$(date +%s%N)
# launch waits itself (--wait-timeout) for the 4 slots of hostB and hostC.
in_ns "$NS_COORD" timeout --kill-after=5 "$LAUNCH_TIMEOUT" \
    "$COORDINATOR" launch --listen "$ENDPOINT" --keys "$KEYS" --wait-workers 4 --wait-timeout 30 \
    --heartbeat-timeout "$HEARTBEAT_TIMEOUT" \
    --progress plain -- "$PROGRAM" hosts --items "$ITEMS" --work-us "$WORK_US" \
    >"$WORK/launch.out" 2>"$WORK/launch.err" &
LAUNCH_PID=$!
BG_PIDS+=("$LAUNCH_PID")

elapsed() { echo "$(( ($(date +%s%N) - ${1:-$start_ns}) / 1000000 ))"; }   # ms since

if [[ $MODE == normal ]]; then
    while alive "$LAUNCH_PID"; do note_pids; sleep 0.2; done   # bounded by launch's timeout
    rc=0
    wait "$LAUNCH_PID" || rc=$?
    ms=$(elapsed)
    ((rc != 124 && rc != 137)) || fail "launch did not finish within ${LAUNCH_TIMEOUT}s (timeout killed it)"
    ((rc == 0)) || fail "launch exited with status $rc"
    joined hostB && joined hostC || fail "the launch's log does not show both worker hosts joining"
    verdict=$(check_result "$WORK/launch.out" "$ITEMS") || fail "$verdict"
    summary=$(check_summary "$WORK/launch.err" "$ITEMS") || fail "launch's summary: $summary"
    echo "driver: $(grep -m1 '^{' "$WORK/launch.out")"
    no_files_left
    echo "PASS (normal): $verdict, $summary, in ${ms} ms"
    exit 0
fi

# --cut-link
deadline=$((SECONDS + START_TIMEOUT + 30))
until joined hostB && joined hostC; do
    alive "$LAUNCH_PID" || fail "launch exited before both worker hosts joined"
    ((SECONDS < deadline)) || fail "worker hosts did not join within $((START_TIMEOUT + 30))s"
    note_pids
    sleep 0.1
done
if ! running=$(wait_running); then
    alive "$LAUNCH_PID" || fail "launch ended before the pipeline was seen running with hostC's workers (too few items?)"
    fail "the pipeline was not seen running with hostC's workers within ${START_TIMEOUT}s"
fi
note_pids
log "running after $(elapsed) ms: $running"
# Verified started (hostC's workers in the task stage, items flowing): let it run 0.5 s more so
# the cut lands mid-run, about 2.5 s into a ~10 s run.
sleep 0.5
alive "$LAUNCH_PID" || fail "the run ended before the link could be cut (use more items)"
ip -n "$NS_C" link set eth0 down
cut_ns=$(date +%s%N)
log "cut hostC's link (eth0 in $NS_C down) $(elapsed) ms after the launch started"

rc=
lost_after=
while ((($(date +%s%N) - cut_ns) / 1000000000 < CUT_DEADLINE)); do
    if [[ -z $lost_after ]] && grep -q 'worker host hostC stopped answering' "$WORK/launch.err" 2>/dev/null; then
        lost_after=$(elapsed "$cut_ns")
        log "hostC declared lost ${lost_after} ms after the cut (heartbeat timeout ${HEARTBEAT_TIMEOUT} s)"
    fi
    if ! alive "$LAUNCH_PID"; then
        rc=0
        wait "$LAUNCH_PID" || rc=$?
        break
    fi
    note_pids
    sleep 0.1
done
after=$(elapsed "$cut_ns")
[[ -n $rc ]] || fail "launch still running ${CUT_DEADLINE}s after hostC's link went down (hang)"
((rc != 124 && rc != 137)) || fail "launch was ended by its ${LAUNCH_TIMEOUT}s timeout"
((rc == 0)) || fail "launch exited $rc after hostC was cut off: $(grep -m1 '^{' "$WORK/launch.out" || echo 'no result')"
# What the coordinator said about it: hostC went silent, its workers' batches were replayed.
grep -q 'worker host hostC stopped answering' "$WORK/launch.err" ||
    fail "the launch's stderr does not say hostC stopped answering"
# Within the limit plus one heartbeat (0.5 s), and 1 s for this loop's polling and scheduling.
if [[ -n $lost_after ]]; then
    ((lost_after <= HEARTBEAT_TIMEOUT * 1000 + 1500)) ||
        fail "hostC was declared lost ${lost_after} ms after the cut: more than the ${HEARTBEAT_TIMEOUT} s heartbeat timeout plus one heartbeat"
fi
grep -q 'on hostC) stopped answering.*replayed' "$WORK/launch.err" ||
    fail "the launch's stderr does not say hostC's workers' batches were replayed"
log "launch output naming hostC:"
grep -E 'hostC|replacement|^\{|Fatal error|^Error' "$WORK/launch.err" "$WORK/launch.out" |
    grep -v '^[^:]*:progress: ' | sed "s|^$WORK/||" >&2 || true
verdict=$(check_result "$WORK/launch.out" "$ITEMS") || fail "$verdict"
summary=$(check_summary "$WORK/launch.err" "$ITEMS") || fail "launch's summary after the cut: $summary"
no_files_left
echo "PASS (cut-link): hostC's link went down mid-run, its work was replayed, and the launch finished ${after} ms later with the exact output ($verdict; $summary; $(elapsed) ms in all)"
