#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# netns layer (root): `xtcp attach --to kernel` in front of a real, unmodified
# nginx in the server namespace. Clients get nginx's pages over IPv4 and IPv6
# through xtcp's cookie handshake, the accepted socket carries what the SYN
# negotiated, a SYN flood and a forged-ACK flood never reach the server's
# kernel, a client whose third ACK is lost is served from its first data,
# other traffic still works, and detach leaves a running download alone.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/check.sh"
. "$here/../../scripts/netns.sh"

[ "$(id -u)" -eq 0 ] || { echo "netns/handoff: needs root (skipped)"; exit 77; }
command -v nginx >/dev/null || { echo "netns/handoff: no nginx (make deps installs nginx-light; skipped)"; exit 77; }
PORT=8080
OTHER=9000
NGINX_PID=
TMP=$(mktemp -d /tmp/xtcp-handoff.XXXXXX)

cleanup() {
	[ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null
	netns_cleanup	# also kills whatever else runs in the namespaces
	rm -rf "$TMP"
}
netns_setup || { echo "netns/handoff: setup failed"; cleanup; exit 1; }
trap cleanup EXIT

# nginx of our own: config, pid file, logs and content under $TMP
mkdir -p "$TMP/www"
echo "hello from nginx" >"$TMP/www/index.html"
head -c 20000000 /dev/urandom >"$TMP/www/blob"
cat >"$TMP/nginx.conf" <<EOF
daemon off;
user root;
worker_processes 1;
pid $TMP/nginx.pid;
error_log $TMP/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $TMP; proxy_temp_path $TMP;
	fastcgi_temp_path $TMP; uwsgi_temp_path $TMP; scgi_temp_path $TMP;
	keepalive_timeout 60;
	server { listen $PORT; listen [::]:$PORT; root $TMP/www; }
}
EOF
nsenter --net=/run/netns/"$NS_SRV" nginx -p "$TMP" -c "$TMP/nginx.conf" -e "$TMP/error.log" &
NGINX_PID=$!
for _ in $(seq 50); do
	in_srv ss -Hltn "sport = :$PORT" | grep -q . && break
	sleep 0.1
done

handoff_counter() {
	in_srv "$XTCP" stats "$VETH_SRV" --json |
		python3 -c "import json,sys; print(json.load(sys.stdin)['handoff']['$1'])"
}
nstat_abs() { in_srv nstat -az "$1" | awk -v n="$1" '$1 == n { print $2 }'; }
tcp_insegs() { in_srv awk '/^Tcp:/ { if (h) print $11; h = 1 }' /proc/net/snmp; }

# --- refusals and warnings before the real attach
in_srv sysctl -qw net.ipv4.tcp_syncookies=0
out=$(in_srv "$XTCP" attach "$VETH_SRV" --port "$PORT" --to kernel 2>&1)
check "attach --to kernel refused with tcp_syncookies=0, saying what to set" \
	grep -q "net.ipv4.tcp_syncookies=1" <<<"$out"
check "nothing attached after the refusal" [ ! -e "$(pins_of "$VETH_SRV")" ]
in_srv sysctl -qw net.ipv4.tcp_syncookies=1
out=$(in_srv "$XTCP" attach "$VETH_SRV" --port 8181 --to kernel 2>&1)
check "attach warns when nothing listens on a kernel port" grep -q "nothing listens" <<<"$out"
in_srv "$XTCP" detach "$VETH_SRV" >/dev/null
check "--to before any --port is refused" \
	bash -c "! nsenter --net=/run/netns/$NS_SRV $XTCP attach $VETH_SRV --to kernel --port $PORT 2>/dev/null"

# --- a connection from before attach must survive it
in_cli timeout 60 python3 - "$SRV4" "$PORT" >"$TMP/early.out" 2>&1 <<'PY' &
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
req = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
s.sendall(req); time.sleep(0.5); s.recv(4096)
time.sleep(4)			# xtcp attaches meanwhile
s.sendall(req)
print("early connection:", "ok" if b"hello from nginx" in s.recv(4096) else "lost")
PY
EARLY=$!
sleep 1

check "attach --to kernel in front of nginx" \
	in_srv "$XTCP" attach "$VETH_SRV" --port "$PORT" --to kernel
check "xtcp status shows the port served to the kernel" \
	bash -c "nsenter --net=/run/netns/$NS_SRV $XTCP status | grep -q 'to the kernel $PORT'"
wait "$EARLY"
check "a connection from before attach goes on ($(cat "$TMP/early.out"))" \
	grep -q "early connection: ok" "$TMP/early.out"

check "curl gets nginx's page over IPv4" \
	bash -c "nsenter --net=/run/netns/$NS_CLI curl -sf -m 5 http://$SRV4:$PORT/ | grep -q 'hello from nginx'"
check "curl gets nginx's page over IPv6" \
	bash -c "nsenter --net=/run/netns/$NS_CLI curl -sf -m 5 'http://[$SRV6]:$PORT/' | grep -q 'hello from nginx'"
check "third ACKs went through xtcp's cookie (handoff counted)" [ "$(xdp_counter handoff)" -ge 2 ]
check "tc assigned them to nginx's listener (handed counted)" [ "$(handoff_counter handed)" -ge 2 ]

# the accepted socket carries what the SYN negotiated (sock_diag's tcp_info)
in_cli timeout 20 python3 - "$SRV4" "$PORT" >"$TMP/hold.out" <<'PY' &
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"); s.recv(4096)
print(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[6] >> 4, flush=True)
time.sleep(3)
PY
HOLD=$!
sleep 1
cli_ws=$(head -1 "$TMP/hold.out")
info=$(in_srv python3 "$here/tcpinfo.py" "$PORT" | head -1)
echo "  nginx's accepted socket: $info (client's shift ${cli_ws:-?})"
check "accepted socket: timestamps, SACK and window scaling on" \
	grep -q "ts=1 sack=1 wscale=1" <<<"$info"
check "accepted socket: the client's shift and ours (7)" \
	grep -q "snd_wscale=${cli_ws:-x} rcv_wscale=7" <<<"$info"
check "accepted socket: MSS from the cookie (1460 - 12 for timestamps)" \
	grep -q "snd_mss=1448" <<<"$info"
wait "$HOLD"

# 20 MB, byte-exact
want=$(sha256sum <"$TMP/www/blob" | cut -d' ' -f1)
got=$(in_cli curl -sf -m 30 "http://$SRV4:$PORT/blob" | sha256sum | cut -d' ' -f1)
check "20 MB from nginx byte-exact through the handoff" [ "$got" = "$want" ]

# a client whose third ACK is lost: its first data completes the handshake
in_cli nft -f - <<EOF
table inet xtcp_handoff_test {
	chain out { type filter hook output priority 0; tcp sport 45678 tcp flags & rst == rst drop; }
}
EOF
lost=$(in_cli timeout 20 /usr/bin/python3 - "$SRV4" "$PORT" "$VETH_CLI" <<'PY' 2>&1
import sys
from scapy.all import IP, TCP, AsyncSniffer, conf, sr1, send
conf.verb = 0
srv, port, iface = sys.argv[1], int(sys.argv[2]), sys.argv[3]
conf.iface = iface
opts = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1000, 0)), ("WScale", 7)]
synack = sr1(IP(dst=srv) / TCP(sport=45678, dport=port, flags="S", seq=5000,
                               options=opts), timeout=3)
if synack is None:
    print("no SYN-ACK"); sys.exit(1)
tsecr = dict(synack[TCP].options)["Timestamp"][0]
sn = AsyncSniffer(iface=iface, filter="tcp and src port %d" % port)
sn.start()
# no third ACK: the request is the first thing the server sees after its SYN-ACK
send(IP(dst=srv) / TCP(sport=45678, dport=port, flags="PA", seq=5001,
                       ack=synack[TCP].seq + 1, window=502,
                       options=[("NOP", None), ("NOP", None), ("Timestamp", (1001, tsecr))])
     / b"GET / HTTP/1.0\r\n\r\n")
import time; time.sleep(1.5)
sn.stop()
segs = [p for p in sn.results if p.haslayer(TCP) and len(p[TCP].payload)]
body = b"".join(bytes(p[TCP].payload) for p in segs)
if b"hello from nginx" not in body:
    print("not served: %r" % body[:80]); sys.exit(1)
# the kernel's TSval goes on from the SYN-ACK's, and echoes ours
ours = dict(synack[TCP].options)["Timestamp"][0]
tsval, tsecr = dict(segs[0][TCP].options)["Timestamp"]
print("served; SYN-ACK TSval %u, nginx's first TSval %u, TSecr %u" % (ours, tsval, tsecr))
if not (0 <= (tsval - ours) % 2**32 < 10000 and tsecr == 1001):
    print("timestamps do not continue"); sys.exit(1)
PY
)
in_cli nft delete table inet xtcp_handoff_test
check "a client whose third ACK is lost is served from its first data ($lost)" \
	grep -q "^served" <<<"$lost"

# --- the SYN flood: answered from XDP, never seen by the server's kernel
synacks_before=$(xdp_counter syn_ack)
txdrop_before=$(cli_link_stat tx_dropped)
sent=$(in_cli timeout 120 hping3 -q -S -p "$PORT" --rand-source -i u5 \
	-c 100000 "$SRV4" 2>&1 | awk '/packets transmitted/ { print $1 }')
sleep 0.5
synacks=$(( $(xdp_counter syn_ack) - synacks_before ))
ring=$(( $(cli_link_stat tx_dropped) - txdrop_before ))
echo "  SYN flood: hping3 sent ${sent:-0}, veth ring dropped $ring, xtcp answered $synacks"
check "every SYN of the flood that arrived got a SYN-ACK" \
	[ "$synacks" -eq $(( ${sent:-0} - ring )) ]
check "flood: server kernel TcpExtListenOverflows 0" [ "$(nstat_abs TcpExtListenOverflows)" = 0 ]
check "flood: server kernel TcpExtSyncookiesSent 0" [ "$(nstat_abs TcpExtSyncookiesSent)" = 0 ]
check "flood: no SYN-RECV socket in the server kernel" \
	[ "$(in_srv ss -Htn state syn-recv | wc -l)" -eq 0 ]

# --- a forged-ACK flood: dropped in XDP, the kernel's TCP never counts it
drops_before=$(( $(xdp_counter drop_bad_cookie) + $(xdp_counter drop_cookie_expired) ))
segs_before=$(tcp_insegs)
handed_before=$(handoff_counter handed)
sent=$(in_cli timeout 60 hping3 -q -A -p "$PORT" --rand-source -i u10 \
	-c 20000 "$SRV4" 2>&1 | awk '/packets transmitted/ { print $1 }')
sleep 0.5
drops=$(( $(xdp_counter drop_bad_cookie) + $(xdp_counter drop_cookie_expired) - drops_before ))
segs=$(( $(tcp_insegs) - segs_before ))
echo "  forged ACKs: hping3 sent ${sent:-0}, xtcp dropped $drops, server kernel InSegs +$segs"
check "forged ACKs dropped in XDP, each counted" [ "$drops" -ge $(( ${sent:-0} * 99 / 100 )) ]
check "forged ACKs never reached the kernel's TCP (InSegs +$segs)" [ "$segs" -lt 10 ]
check "forged ACKs created no socket" [ "$(handoff_counter handed)" = "$handed_before" ]
check "nginx still serves after both floods" \
	bash -c "nsenter --net=/run/netns/$NS_CLI curl -sf -m 5 http://$SRV4:$PORT/ | grep -q 'hello from nginx'"

# --- everything else on the interface still works
check "ping still works" in_cli ping -c 2 -W 2 -i 0.2 -q "$SRV4" >/dev/null
in_srv timeout 30 python3 - "$OTHER" <<'PY' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(8)
c, _ = s.accept(); c.sendall(b"kernel says hi\n"); c.close()
PY
sleep 0.5
check "a kernel server on an unserved port still serves" \
	bash -c "[ \"\$(nsenter --net=/run/netns/$NS_CLI timeout 5 python3 -c \"
import socket; s = socket.create_connection(('$SRV4', $OTHER), timeout=3)
print(s.recv(64).decode().strip())\")\" = 'kernel says hi' ]"

# --- detach during a download: the kernel's connection runs on
in_cli curl -sf -m 30 --limit-rate 8M -o "$TMP/during" "http://$SRV4:$PORT/blob" &
CURL=$!
sleep 1
check "detach during a download" in_srv "$XTCP" detach "$VETH_SRV"
check "no XDP and no tc program left on the veth" \
	bash -c "! ip -n $NS_SRV link show $VETH_SRV | grep -q xdp && [ -z \"\$(nsenter --net=/run/netns/$NS_SRV bpftool net show dev $VETH_SRV | grep -i tcx)\" ]"
wait "$CURL"
check "the download finished byte-exact after detach" \
	[ "$(sha256sum <"$TMP/during" | cut -d' ' -f1)" = "$want" ]
check "nginx serves on its own after detach" \
	bash -c "nsenter --net=/run/netns/$NS_CLI curl -sf -m 5 http://$SRV4:$PORT/ | grep -q 'hello from nginx'"

# --- serve with mixed modes: the engine's echo on 7, nginx shielded on PORT
LOG="$TMP/serve.log"
check "serve: --port 7 --to engine --port $PORT --to kernel" \
	start_serve --port 7 --to engine --port "$PORT" --to kernel --app echo
check "status: port 7 to the engine, $PORT to the kernel" \
	bash -c "nsenter --net=/run/netns/$NS_SRV $XTCP status | grep -q 'to the engine 7  to the kernel $PORT'"
check "the engine's echo answers on port 7" \
	bash -c "[ \"\$(nsenter --net=/run/netns/$NS_CLI timeout 5 python3 -c \"
import socket; s = socket.create_connection(('$SRV4', 7), timeout=3)
s.sendall(b'ping'); print(s.recv(16).decode())\")\" = ping ]"
check "nginx answers beside it, handed by the same XDP program" \
	bash -c "nsenter --net=/run/netns/$NS_CLI curl -sf -m 5 http://$SRV4:$PORT/ | grep -q 'hello from nginx'"
check "serve stops cleanly" stop_serve
check_done "netns/handoff"
