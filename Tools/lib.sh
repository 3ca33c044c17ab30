#!/usr/bin/env bash
# Shared helpers of Titan's scripts. Source it first thing:
#   . "$(dirname "$0")/lib.sh"
# Everything here is safe under `set -euo pipefail` (a helper that tests something returns
# non-zero for "no" and never exits the caller, except `die`).

# Run on its own it does nothing but say so (it is executable so that every file in Tools/ is).
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    echo "lib.sh: a library of the Tools scripts, not a command: source it (. Tools/lib.sh) from a script" >&2
    exit 2
fi

# The script's name, for its messages.
titan_script=$(basename "$0")

# say TEXT…: one line on stderr, prefixed with the script's name.
say() { echo "$titan_script: $*" >&2; }

# die TEXT…: says TEXT and exits 1.
die() { say "$@"; exit 1; }

# now: seconds since the epoch, with nanoseconds.
now() { date +%s.%N; }

# elapsed START: seconds since START (a `now` reading), one decimal.
elapsed() { awk -v start="$1" -v end="$(now)" 'BEGIN { printf "%.1f", end - start }'; }

# --- Processes, by pid file ------------------------------------------------------------------
# A pid file holds one line "PID START": the process id and its start time in clock ticks after
# boot (field 22 of /proc/PID/stat). A pid the kernel reused for another process has another
# start time, and another command line, so neither `alive` nor `stop_pidfile` ever touches it.

# start_time PID: the process's start time, or nothing when no such process exists.
start_time() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    # Fields after the command name, which is in parentheses and may contain spaces.
    stat=${stat##*) }
    set -- $stat
    echo "${20}"
}

# record_pid PIDFILE PID: writes PID and its start time to PIDFILE.
record_pid() { echo "$2 $(start_time "$2")" >"$1"; }

# pid_of PIDFILE: the pid recorded in PIDFILE (empty when there is none).
pid_of() { [ -f "$1" ] && awk '{ print $1; exit }' "$1" || true; }

# alive PIDFILE PROGRAM: true when the process recorded in PIDFILE still runs, started when it
# was recorded, and runs PROGRAM (the base name of its argv[0]).
alive() {
    local pid recorded argv0
    [ -f "$1" ] || return 1
    read -r pid recorded _ <"$1" || true
    [ -n "${pid:-}" ] && [ -n "${recorded:-}" ] || return 1
    [ "$(start_time "$pid")" = "$recorded" ] || return 1
    argv0=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | head -n 1) || return 1
    [ "$(basename "$argv0")" = "$2" ]
}

# stop_pidfile PIDFILE PROGRAM [GRACE_SECONDS [SIGNAL]]: SIGNAL (default TERM) to the recorded
# process if `alive`, SIGKILL after GRACE (default 10 s), then waits (at most 5 s more) until it
# is gone; removes PIDFILE.
stop_pidfile() {
    local pidfile="$1" program="$2" grace="${3:-10}" signal="${4:-TERM}" pid how
    how="SIG$signal"
    [ -f "$pidfile" ] || return 0
    pid=$(pid_of "$pidfile")
    if alive "$pidfile" "$program"; then
        kill -"$signal" "$pid" 2>/dev/null || true
        if ! wait_until "$grace" gone "$pidfile" "$program"; then
            kill -KILL "$pid" 2>/dev/null || true
            how="SIGKILL after $grace s"
            wait_until 5 gone "$pidfile" "$program" || say "$program (pid $pid) survived SIGKILL"
        fi
        say "stopped $program (pid $pid, $how)"
    fi
    rm -f "$pidfile"
}

# gone PIDFILE PROGRAM: the opposite of `alive`.
gone() { ! alive "$@"; }

# --- Ports, services -------------------------------------------------------------------------

# port_free PORT: true when nothing accepts connections on 127.0.0.1:PORT.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# etcd_answers URL: true when the etcd at URL answers a status request within 2 s.
etcd_answers() { curl -sf -m 2 -X POST "$1/v3/maintenance/status" -d '{}' >/dev/null 2>&1; }

# docker_socket: the Docker engine's unix socket: DOCKER_HOST (unix://PATH) when set, else
# /var/run/docker.sock. The docker CLI reads DOCKER_HOST too, so both talk to the same engine.
docker_socket() {
    case "${DOCKER_HOST:-}" in
        "") echo /var/run/docker.sock ;;
        unix://*) echo "${DOCKER_HOST#unix://}" ;;
        *) echo "DOCKER_HOST=$DOCKER_HOST is not a unix:// socket" >&2; echo /nonexistent/docker.sock ;;
    esac
}

# docker_answers: true when the engine on `docker_socket` answers a ping within 2 s.
docker_answers() {
    [ "$(curl -s -m 2 --unix-socket "$(docker_socket)" http://localhost/_ping 2>/dev/null)" = "OK" ]
}

# wait_until SECONDS COMMAND…: runs COMMAND every 0.25 s until it succeeds; false after SECONDS.
wait_until() {
    local ticks=$(($1 * 4))
    shift
    while [ "$ticks" -gt 0 ]; do
        "$@" && return 0
        sleep 0.25
        ticks=$((ticks - 1))
    done
    "$@"
}

# wait_for_service SECONDS PIDFILE PROGRAM COMMAND…: like `wait_until`, but gives up at once when the
# process recorded in PIDFILE has exited (its log says why).
wait_for_service() {
    local ticks=$(($1 * 4)) pidfile="$2" program="$3"
    shift 3
    while [ "$ticks" -gt 0 ]; do
        "$@" && return 0
        alive "$pidfile" "$program" || return 1
        sleep 0.25
        ticks=$((ticks - 1))
    done
    "$@"
}

# --- Reading JSON ------------------------------------------------------------------------------

# json_field KEY [FILE]: the first value of "KEY" (a string or a number) in the JSON of FILE or
# stdin; empty when there is none. Titan's JSON has one key and value per line or is compact;
# this reads both without a JSON tool.
json_field() {
    local key="$1"
    shift
    sed -nE "s/.*\"$key\"[[:space:]]*:[[:space:]]*(\"([^\"]*)\"|([-0-9.eE+]+)).*/\2\3/p" "$@" | head -n 1
}

# --- Running other scripts ---------------------------------------------------------------------

# load_env COMMAND…: runs COMMAND (a script that prints `export` lines, such as titan-up or
# start-services) and applies its exports. When it fails, its messages are shown and the calling
# script stops: an `eval "$(COMMAND)"` would go on as if nothing had happened.
load_env() {
    local out errors
    errors=$(mktemp)
    if ! out=$("$@" 2>"$errors"); then
        sed 's/^/    /' "$errors" >&2
        rm -f "$errors"
        die "$* failed (its messages above)"
    fi
    rm -f "$errors"
    eval "$out"
}

# --- Building ----------------------------------------------------------------------------------

# build CONFIG [MORE SWIFT BUILD FLAGS…]: `swift build -c CONFIG`, quiet when it works; when it
# fails, the compiler's errors are shown (the last 60 lines) and the script stops.
build() {
    local config="$1" log
    shift
    log=$(mktemp /tmp/titan-build.XXXXXX)
    local started
    started=$(now)
    say "building ($config)…"
    if ! swift build -c "$config" "$@" >"$log" 2>&1; then
        grep -E "error:|warning:" "$log" | head -n 40 >&2 || true
        tail -n 20 "$log" >&2
        rm -f "$log"
        die "swift build -c $config failed (errors above): fix them, then run this again"
    fi
    rm -f "$log"
    say "built ($config) in $(elapsed "$started") s"
}
