# Sourced by the scripts that check a running autoprov (fuzz, web). Defines:
#   spawn_server NAME BINARY WORK   starts BINARY on a fresh SQLite file in WORK (or on
#                                   $SPAWN_DATABASE_URL, which must be an empty database), waits for
#                                   /healthz, and sets server_pid, base (http://ADDR) and token
#                                   (the bootstrap owner token); logs go to WORK/server.log
#   stop_server                     SIGTERM, then SIGKILL after 5 s
#   begin_session NAME              a temporary folder in $work, removed on success (set
#                                   status=0 at the end) and kept, with the server log, on failure
server_pid=
status=1
spawn_server() {
    local name=$1 binary=$2 work=$3 addr=
    AUTOPROV_LOG_FORMAT=json RUST_LOG=${RUST_LOG:-warn} "$binary" serve \
        --bind 127.0.0.1:0 --database-url "${SPAWN_DATABASE_URL:-sqlite://$work/$name.db?mode=rwc}" \
        >"$work/server.out" 2>"$work/server.log" &
    server_pid=$!
    # stdout: the one-time owner token (apt_ + 64 hex digits), then "GraphiQL: http://ADDR/graphql".
    for _ in $(seq 300); do
        kill -0 "$server_pid" 2>/dev/null || { echo "$name: the server exited:" >&2; cat "$work/server.log" >&2; return 1; }
        addr=$(sed -n 's|^GraphiQL: http://\([^/]*\)/graphql$|\1|p' "$work/server.out")
        [[ -n $addr ]] && break
        sleep 0.1
    done
    [[ -n $addr ]] || { echo "$name: the server printed no address" >&2; return 1; }
    token=$(grep -oE 'apt_[0-9a-f]{64}' "$work/server.out" | head -n1)
    [[ -n $token ]] || { echo "$name: the server printed no owner token" >&2; return 1; }
    base="http://$addr"
    for _ in $(seq 100); do
        [[ $(curl -fsS "$base/healthz" 2>/dev/null) == ok ]] && break
        sleep 0.1
    done
    [[ $(curl -fsS "$base/healthz") == ok ]] || { echo "$name: /healthz never answered ok" >&2; return 1; }
}

stop_server() {
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
}

begin_session() {
    session_name=$1
    work=$(mktemp -d "${TMPDIR:-/tmp}/autoprov-$session_name.XXXXXX")
    trap end_session EXIT
    trap 'exit 130' INT TERM
}

end_session() {
    stop_server
    if [[ $status -eq 0 ]]; then
        rm -rf "$work"
    else
        echo "$session_name: server log kept in $work/server.log" >&2
    fi
}
