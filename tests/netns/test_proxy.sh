#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# netns layer (root): `xtcp serve --app proxy` in front of real backends in
# the server namespace. Debian's nginx with `listen ... proxy_protocol`:
# curl's requests through the proxy arrive with the client's real IPv4 and
# IPv6 addresses (PROXY v2, then v1), round robin over two backends. A
# Python backend: 50 MB each way byte-exact with half-close; a slow reader
# bounds xtcp's memory and still gets every byte; a backend that dies
# mid-transfer resets the client; no backend at all resets every client
# and leaks nothing (connections, flows, descriptors).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/check.sh"
. "$here/../../scripts/netns.sh"

[ "$(id -u)" -eq 0 ] || { echo "netns/proxy: needs root (skipped)"; exit 77; }
command -v nginx >/dev/null || { echo "netns/proxy: no nginx (apt-get install nginx-light; skipped)"; exit 77; }
netns_setup || { echo "netns/proxy: setup failed"; exit 1; }
PY="$here/proxy.py"
LOG=$(mktemp)
T=$(mktemp -d)
NGINX_PID=
BACKEND_PID=
cleanup() {
	[ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null
	[ -n "$BACKEND_PID" ] && kill "$BACKEND_PID" 2>/dev/null
	wait 2>/dev/null
	netns_cleanup
	rm -rf "$LOG" "$T"
}
trap cleanup EXIT

# ---- nginx, PROXY protocol ----
cat >"$T/nginx.conf" <<EOF
pid $T/nginx.pid;
error_log $T/error.log;
daemon off;
master_process off;
worker_processes 1;
events { worker_connections 256; }
http {
	log_format pp '\$proxy_protocol_addr \$server_addr';
	access_log $T/access.log pp;
	client_body_temp_path $T/body;
	proxy_temp_path $T/proxy;
	fastcgi_temp_path $T/fastcgi;
	uwsgi_temp_path $T/uwsgi;
	scgi_temp_path $T/scgi;
	server {
		listen 127.0.0.1:8081 proxy_protocol;
		listen [::1]:8081 proxy_protocol;
		location / { return 200 "hello from nginx\n"; }
	}
}
EOF
nsenter --net=/run/netns/"$NS_SRV" nginx -c "$T/nginx.conf" -p "$T" -e "$T/error.log" &
NGINX_PID=$!
for _ in $(seq 50); do in_srv ss -ltn | grep -q ':8081' && break; sleep 0.1; done
check "nginx listens (proxy_protocol) in the server namespace" bash -c "in_srv() { nsenter --net=/run/netns/$NS_SRV \"\$@\"; }; in_srv ss -ltn | grep -q ':8081'"

check "serve --app proxy --proxy-protocol v2, two backends" \
	start_serve --port 80 --app proxy --backend '127.0.0.1:8081,[::1]:8081' \
	--proxy-protocol v2 --connect-timeout 1000 --time-wait 1
for i in 1 2; do
	in_cli curl -s -m 5 "http://$SRV4/" >"$T/curl4.$i"
	in_cli curl -s -m 5 "http://[$SRV6]/" >"$T/curl6.$i"
done
check "curl over IPv4 through the proxy gets nginx's answer" grep -q "hello from nginx" "$T/curl4.1"
check "curl over IPv6 through the proxy gets nginx's answer" grep -q "hello from nginx" "$T/curl6.1"
sed 's/^/  access.log: /' "$T/access.log"
check "nginx saw the client's real IPv4 address (PROXY v2)" grep -q "^$CLI4 " "$T/access.log"
check "nginx saw the client's real IPv6 address (PROXY v2)" grep -q "^$CLI6 " "$T/access.log"
check "round robin: both backends were used" \
	bash -c "grep -q ' 127.0.0.1$' '$T/access.log' && grep -q ' ::1$' '$T/access.log'"
check "proxy_conns counts the 4 connections" [ "$(engine_counter proxy_conns)" -ge 4 ]
stop_serve
: >"$T/access.log"
check "serve --proxy-protocol v1" start_serve --port 80 --app proxy \
	--backend 127.0.0.1:8081 --proxy-protocol v1 --time-wait 1
in_cli curl -s -m 5 "http://$SRV4/" >/dev/null
in_cli curl -s -m 5 "http://[$SRV6]/" >/dev/null
check "nginx saw the client's real IPv4 and IPv6 addresses (PROXY v1)" \
	bash -c "grep -q '^$CLI4 ' '$T/access.log' && grep -q '^$CLI6 ' '$T/access.log'"
stop_serve
kill "$NGINX_PID" 2>/dev/null; wait "$NGINX_PID" 2>/dev/null; NGINX_PID=

# ---- a Python backend: echo, slow reader, sudden death ----
nsenter --net=/run/netns/"$NS_SRV" python3 "$PY" backend 9000 >"$T/backend.log" 2>&1 &
BACKEND_PID=$!
for _ in $(seq 50); do grep -q listening "$T/backend.log" && break; sleep 0.1; done
check "serve --app proxy to the Python backend" start_serve --port 80 --app proxy \
	--backend 127.0.0.1:9000 --time-wait 1
fds0=$(ls /proc/"$SERVE_PID"/fd | wc -l)
check "50 MB each way byte-exact through the proxy, half-close both ways" \
	in_cli timeout 120 python3 "$PY" echo "$SRV4" 80 50
check "5 MB each way byte-exact through the proxy (IPv6)" \
	in_cli timeout 60 python3 "$PY" echo "$SRV6" 80 5
rss0=$(awk '/VmRSS/ {print $2}' /proc/"$SERVE_PID"/status)
in_cli timeout 60 python3 "$PY" sink "$SRV4" 80 24 4000000 &
sinkp=$!
peak=$rss0 waitb=0
while kill -0 "$sinkp" 2>/dev/null; do
	r=$(awk '/VmRSS/ {print $2}' /proc/"$SERVE_PID"/status)
	[ "$r" -gt "$peak" ] && peak=$r
	w=$(engine_counter proxy_wait_backend)
	[ "$w" -gt "$waitb" ] && waitb=$w
	sleep 0.5
done
check "a slow backend (4 MB/s) gets all 24 MB byte-exact" wait "$sinkp"
echo "  xtcp RSS: ${rss0} kB before, peak ${peak} kB during 24 MB to a slow backend"
check "xtcp's memory stays bounded (RSS grew < 8 MB)" [ $((peak - rss0)) -lt 8192 ]
check "the gauge saw the connection wait on its backend" [ "$waitb" -ge 1 ]
# a slow client: the backend's bytes wait in the kernel socket, not in xtcp
rss0=$(awk '/VmRSS/ {print $2}' /proc/"$SERVE_PID"/status)
in_cli timeout 60 python3 "$PY" slowread "$SRV4" 80 16 4000000 &
slowp=$!
peak=$rss0 waitc=0 seen=
while kill -0 "$slowp" 2>/dev/null; do
	r=$(awk '/VmRSS/ {print $2}' /proc/"$SERVE_PID"/status)
	[ "$r" -gt "$peak" ] && peak=$r
	w=$(engine_counter proxy_wait_client)
	[ "$w" -gt "$waitc" ] && waitc=$w
	[ -z "$seen" ] && in_srv "$XTCP" stats "$VETH_SRV" --conns 2>/dev/null |
		grep -q 'proxy backend:127.0.0.1:9000 up .*waiting:client' && seen=1
	sleep 0.5
done
check "a slow client (4 MB/s) gets all 16 MB from the backend, exact" wait "$slowp"
echo "  xtcp RSS: ${rss0} kB before, peak ${peak} kB during 16 MB to a slow client"
check "xtcp's memory stays bounded (RSS grew < 8 MB)" [ $((peak - rss0)) -lt 8192 ]
check "the gauge saw the connection wait on its client" [ "$waitc" -ge 1 ]
check "stats --conns shows the backend side, waiting on the client" [ -n "$seen" ]
check "a client resets after an echo" in_cli timeout 20 python3 "$PY" rst "$SRV4" 80
sleep 0.3
check "... and its backend was reset too (proxy_client_resets)" \
	[ "$(engine_counter proxy_client_resets)" -ge 1 ]
check "a backend dying mid-transfer resets the client" \
	in_cli timeout 60 python3 "$PY" die "$SRV4" 80
check "proxy_backend_resets counted it" [ "$(engine_counter proxy_backend_resets)" -ge 1 ]
sleep 1.5
check "no connection left" [ "$(conns)" -eq 0 ]
check "no backend socket left open (proxy_open 0)" [ "$(engine_counter proxy_open)" -eq 0 ]
check "descriptors as before ($fds0)" [ "$(ls /proc/"$SERVE_PID"/fd | wc -l)" -eq "$fds0" ]
echo "  $(in_srv "$XTCP" stats "$VETH_SRV" | grep proxy_ | tr -s ' ' | tr '\n' ';')"
stop_serve

# ---- a backend that never answers: timed out, skipped, counted ----
in_srv nft -f - <<EOF
table inet xtcp_proxy_test {
	chain out { type filter hook output priority 0; tcp dport 9999 drop; }
}
EOF
check "serve --app proxy, a silent backend first, --connect-timeout 300" \
	start_serve --port 80 --app proxy --backend 127.0.0.1:9999,127.0.0.1:9000 \
	--connect-timeout 300 --time-wait 1
check "10 clients all served past the silent backend" bash -c \
	"for i in 1 2 3 4 5 6 7 8 9 10; do nsenter --net=/run/netns/$NS_CLI timeout 30 \
	 python3 '$PY' echo '$SRV4' 80 1 >/dev/null || exit 1; done"
t=$(engine_counter proxy_fail_timeout)
echo "  proxy_fail_timeout $t (the silent backend is skipped for 2 s after each)"
check "the timeouts were counted, and the backend skipped meanwhile" [ "$t" -ge 1 ] && [ "$t" -le 5 ]
stop_serve
in_srv nft delete table inet xtcp_proxy_test

# ---- no backend at all ----
check "serve --app proxy to a port nobody listens on" start_serve --port 80 --app proxy \
	--backend 127.0.0.1:9,127.0.0.1:19 --time-wait 1
fds0=$(ls /proc/"$SERVE_PID"/fd | wc -l)
check "50 clients, every one reset" in_cli timeout 60 python3 "$PY" refused "$SRV4" 80 50
check "proxy_no_backend counts them" [ "$(engine_counter proxy_no_backend)" -eq 50 ]
check "backend failures counted by reason (refused)" [ "$(engine_counter proxy_fail_refused)" -ge 2 ]
sleep 1.5
check "no connection left" [ "$(conns)" -eq 0 ]
check "no flows entry left" [ "$(engine_counter flows)" -eq 0 ]
check "descriptors as before ($fds0)" [ "$(ls /proc/"$SERVE_PID"/fd | wc -l)" -eq "$fds0" ]
check "stop" stop_serve

check_done netns/proxy
