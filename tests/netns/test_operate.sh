#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Operating `xtcp serve` as an operator would: it serves every RX queue of
# a four-queue veth unless told RSS was steered, exposes Prometheus metrics
# over HTTP and through `stats --format prometheus`, writes JSON that stays
# valid for any interface name, and says its version.
set -u
cd "$(dirname "$0")/../.."
. scripts/netns.sh
. tests/lib/check.sh
[ "$(id -u)" -eq 0 ] || { echo "netns/operate: needs root" >&2; exit 77; }
netns_setup || { echo "netns/operate: setup failed" >&2; exit 1; }
CLIENT=tests/netns/client.py
LOG=$(mktemp)
VALIDATE=$(mktemp --suffix=.py)
trap 'rm -f "$LOG" "$VALIDATE"; netns_cleanup' EXIT

# ---- four RX queues: a veth pair of its own in the same namespaces
MQ_SRV="xos$$" MQ_CLI="xoc$$" MQ4="10.79.$NETNS_ID"
netns_mq_pair "$MQ_SRV" "$MQ_CLI" 4 "$MQ4"
BASE_SRV=$VETH_SRV
VETH_SRV=$MQ_SRV	# what start_serve, stop_serve and the counters use

refused() { # ARGS...: serve must fail, say why, and leave nothing behind
	local out
	out=$(in_srv "$XTCP" serve "$MQ_SRV" --port 80 --app http "$@" 2>&1) && return 1
	echo "    $out"
	grep -q "$EXPECT" <<<"$out" &&
		! ip -n "$NS_SRV" link show "$MQ_SRV" | grep -q xdp &&
		[ ! -e "$(pins_of "$MQ_SRV")" ]
}
EXPECT="4 RX queues" check "--queues 2 on four queues is refused, nothing attached" refused --queues 2
EXPECT="has 4 RX queues" check "--queues 8 on four queues is refused" refused --queues 8
EXPECT="goes with --queues" check "--rss-steered alone is refused" refused --rss-steered
missing() {
	local out
	out=$(in_srv "$XTCP" serve "nosuch$$" --port 80 --app http 2>&1) && return 1
	echo "    $out"
	grep -q "nosuch$$: no such interface" <<<"$out"
}
check "a missing interface is refused by name" missing

MPORT=9$((RANDOM % 900 + 100))
check "serve with no --queues takes every queue, metrics on" \
	start_serve --port 80 --app http --time-wait 1 --metrics "127.0.0.1:$MPORT"
check "it says four queues" grep -q "with 4 queues" "$LOG"
check "200 concurrent clients all served" \
	in_cli timeout 120 python3 "$CLIENT" http-conc "$MQ4.1" 80 200
acc=() total=0
for q in 0 1 2 3; do acc[$q]=$(per_queue "$MQ_SRV" $q); total=$((total + acc[q])); done
echo "    accepted per queue: ${acc[*]}"
check "every queue's engine served some, 200 in all" \
	[ "${acc[0]}" -gt 0 -a "${acc[1]}" -gt 0 -a "${acc[2]}" -gt 0 -a "${acc[3]}" -gt 0 -a "$total" -eq 200 ]
check "no connection dropped for want of a socket" [ "$(xdp_counter drop_no_xsk)" -eq 0 ]

# ---- Prometheus: the text exposition format, checked line by line
cat >"$VALIDATE" <<'PY'
import re, sys
text = sys.stdin.read()
name_re = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
types, helps, samples, seen_sample = {}, set(), {}, set()
for line in text.splitlines():
    if line.startswith('# HELP '):
        n = line.split()[2]
        assert n not in helps, 'two HELP for ' + n
        assert n not in seen_sample, 'HELP after samples of ' + n
        helps.add(n)
    elif line.startswith('# TYPE '):
        _, _, n, t = line.split()
        assert t in ('counter', 'gauge'), line
        assert n not in types and n not in seen_sample, 'TYPE late or twice: ' + n
        types[n] = t
    else:
        m = re.fullmatch(r'(%s)\{((?:%s="(?:[^"\\]|\\.)*",?)*)\} (\d+)' % (name_re, name_re), line)
        assert m, 'bad sample line: ' + line
        n = m.group(1)
        assert n in types, 'sample without TYPE: ' + n
        assert (types[n] == 'counter') == n.endswith('_total'), 'counter naming: ' + n
        labels = tuple(sorted(re.findall(r'(%s)="((?:[^"\\]|\\.)*)"' % name_re, m.group(2))))
        assert (n, labels) not in samples, 'duplicate sample ' + line
        samples[(n, labels)] = int(m.group(3))
        seen_sample.add(n)
want = [w for w in sys.argv[1:] if not w.startswith('accepted=')]
for w in want:
    n, _, q = w.partition('@')
    hits = [v for (k, l), v in samples.items() if k == n and (not q or ('queue', q) in l)]
    assert hits, 'missing ' + w
acc = sum(v for (k, l), v in samples.items() if k == 'xtcp_engine_accepted_total')
print('    %d families, %d samples, accepted_total %d' % (len(types), len(samples), acc))
for w in sys.argv[1:]:
    if w.startswith('accepted='):
        assert acc == int(w.split('=')[1]), 'accepted_total %d, not %s' % (acc, w)
PY
scrape() { in_srv curl -sf --max-time 5 -o /dev/null "http://127.0.0.1:$MPORT/metrics"; }
check "serve --metrics answers a scrape" scrape
check "the scrape is valid exposition format with per-queue engine samples" \
	bash -c "nsenter --net=/run/netns/$NS_SRV curl -sf --max-time 5 http://127.0.0.1:$MPORT/metrics |
		python3 $VALIDATE xtcp_xdp_packets_total xtcp_flows xtcp_engine_accepted_total@0 \
			xtcp_engine_accepted_total@3 xtcp_engine_conn_established@1 accepted=200"
check "stats --format prometheus prints the same families" \
	bash -c "nsenter --net=/run/netns/$NS_SRV $XTCP stats $MQ_SRV --format prometheus |
		python3 $VALIDATE xtcp_xdp_packets_total xtcp_engine_accepted_total@2 accepted=200"
check "an unknown path is 404" bash -c "[ \"\$(nsenter --net=/run/netns/$NS_SRV curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1:$MPORT/nope)\" = 404 ]"
check "SIGINT stops the four-queue serve" stop_serve
check "and removes its pins" [ ! -e "$(pins_of "$MQ_SRV")" ]

# ---- graceful stop: SIGTERM under --drain refuses newcomers with RST at
# once and lets a transfer already running finish byte-exact
VETH_SRV=$BASE_SRV
check "serve --drain 30" start_serve --port 19 --app source --drain 30
in_cli python3 "$CLIENT" source "$SRV4" 19 20 >"$LOG.src" 2>&1 &
SRC=$!
sleep 1
t0=$(date +%s.%N)
kill -TERM "$SERVE_PID"
sleep 0.3
check "a connection tried after SIGTERM gets RST at once" in_cli python3 "$CLIENT" refused "$SRV4" 19
check "the 20 MB transfer begun before it completes byte-exact" wait "$SRC"
cat "$LOG.src"
check "serve then exits by itself, well before the drain's end" \
	bash -c "for _ in \$(seq 100); do kill -0 $SERVE_PID 2>/dev/null || exit 0; sleep 0.1; done; exit 1"
wait "$SERVE_PID"
check "with status 0" [ $? -eq 0 ]
check "having said it drained" grep -q "drained: 0 connections left" "$LOG"
check "and detached" bash -c "! ip -n $NS_SRV link show $VETH_SRV | grep -q xdp && [ ! -e '$(pins_of "$VETH_SRV")' ]"
echo "    $(grep -h 'draining\|drained' "$LOG" | tr '\n' ' ')"
rm -f "$LOG.src"

# ---- scope: the interface's own addresses, followed as they change
VETH_SRV=$BASE_SRV
OTHER="10.91.$NETNS_ID.200"
SRV_MAC=$(ip -n "$NS_SRV" -j link show "$VETH_SRV" | python3 -c "import json,sys; print(json.load(sys.stdin)[0]['address'])")
ip -n "$NS_CLI" route add "$OTHER/32" dev "$VETH_CLI"
ip -n "$NS_CLI" neigh add "$OTHER" lladdr "$SRV_MAC" dev "$VETH_CLI"
check "serve http on the interface's addresses" start_serve --port 80 --app http --time-wait 1
check "its own address is served" in_cli curl -sf --max-time 5 "http://$SRV4/"
syn0=$(xdp_counter syn_ack)
check "a SYN to an address the host does not own is not answered" \
	bash -c "! nsenter --net=/run/netns/$NS_CLI curl -s --max-time 2 http://$OTHER/ >/dev/null"
check "it passed to the kernel, counted as pass_addr" [ "$(xdp_counter pass_addr)" -gt 0 ]
check "and got no SYN-ACK" [ "$(xdp_counter syn_ack)" -eq "$syn0" ]
ip -n "$NS_SRV" addr add "$OTHER/32" dev "$VETH_SRV"
sleep 1.5
check "once the interface has the address, serve follows: served" \
	bash -c "nsenter --net=/run/netns/$NS_CLI curl -sf --max-time 5 http://$OTHER/ | grep -q 'Hello from xtcp'"
check "serve logged the change" grep -q "serving on .*$OTHER" "$LOG"
check "SIGINT stops it" stop_serve
check "serve --addr names the only address served" \
	start_serve --port 80 --app http --time-wait 1 --addr "$SRV4"
check "IPv4 on it is served" in_cli curl -sf --max-time 5 "http://$SRV4/"
check "IPv6, not named, reaches the kernel (nothing listens: refused)" \
	bash -c "! nsenter --net=/run/netns/$NS_CLI curl -s --max-time 3 'http://[$SRV6]/' >/dev/null && [ \$(nsenter --net=/run/netns/$NS_SRV $XTCP stats $VETH_SRV --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"xdp\"][\"pass_addr\"])') -gt 0 ]"
check "SIGINT stops it" stop_serve

# ---- rates: columns with a timestamp, the XDP ones too, as a flood runs
check "serve --rate" start_serve --port 80 --app http --rate
in_cli timeout 3 hping3 -q -S -p 80 --rand-source -i u50 -c 40000 "$SRV4" >/dev/null 2>&1 &
FLOOD=$!
in_srv "$XTCP" stats "$VETH_SRV" --watch --count 2 --interval 0.5 >"$LOG.w"
wait "$FLOOD"
sleep 1.2
sed 's/^/    /' "$LOG.w"
check "stats --watch prints a header of columns" grep -q "^time .*synack/s .*estab/s" "$LOG.w"
check "and timestamped rows with SYN-ACKs/s during the flood" \
	awk '/^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]/ && $3 > 100 { ok = 1 } END { exit !ok }' "$LOG.w"
check "serve --rate shows the SYN-ACKs/s too" \
	awk '/^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]/ && $3 > 100 { ok = 1 } END { exit !ok }' "$LOG"
grep "^time\|^[0-9][0-9]:" "$LOG" | head -3 | sed 's/^/    /'
check "SIGINT stops it" stop_serve
rm -f "$LOG.w"

# ---- JSON stays JSON for an interface whose name holds a quote
QIF="x\"$$"
ip -n "$NS_SRV" link add "$QIF" type veth peer name "xq$$" && ip -n "$NS_SRV" link set "$QIF" up
in_srv python3 -c 'import socket, time; s = socket.socket(); s.bind(("0.0.0.0", 80)); s.listen(); time.sleep(20)' &
LISTENER=$!
sleep 0.3
check "attach to an interface named with a quote" \
	bash -c "nsenter --net=/run/netns/$NS_SRV '$XTCP' attach '$QIF' --port 80 --xdp-mode generic 2>'$LOG'"
sed 's/^/    /' "$LOG"
check "attach names the kernel listener it takes the port from" \
	grep -q "port 80: python3 (pid [0-9]*) listens there" "$LOG"
check "attach says served ports bypass netfilter" grep -q "bypass nftables and iptables" "$LOG"
check "attach says the veth peer lacks an XDP program" grep -q "veth peer xq$$ has no XDP program" "$LOG"
check "attach says the veth peer's checksums are partial" grep -q "ethtool -K xq$$ tx off" "$LOG"
kill "$LISTENER" 2>/dev/null
check "stats --json parses, names it and carries a schema" bash -c \
	"nsenter --net=/run/netns/$NS_SRV $XTCP stats '$QIF' --json |
	 python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"ifname\"] == sys.argv[1] and d[\"schema\"] >= 1' '$QIF'"
check "status --json parses" bash -c \
	"nsenter --net=/run/netns/$NS_SRV $XTCP status --json |
	 python3 -c 'import json,sys; assert sys.argv[1] in [s[\"ifname\"] for s in json.load(sys.stdin)]' '$QIF'"
check "detach it" in_srv "$XTCP" detach "$QIF"
rm -rf "$(pins_of "$QIF")" 2>/dev/null

# ---- capabilities, not uid 0: each missing one is named, nothing changes
nocap() { # CAPS CMD... : fails naming the first capability missing
	local caps=$1 out
	shift
	out=$(in_srv setpriv --bounding-set="$caps" --inh-caps="$caps" "$XTCP" "$@" 2>&1) &&
		return 1
	echo "    $out"
	grep -q "needs $EXPECT" <<<"$out" && [ ! -e "$(pins_of "$MQ_SRV")" ]
}
EXPECT=CAP_NET_RAW check "serve without CAP_NET_RAW is refused by name" \
	nocap -net_raw serve "$MQ_SRV" --port 80 --app http
EXPECT=CAP_NET_ADMIN check "attach without CAP_NET_ADMIN is refused by name" \
	nocap -net_admin attach "$MQ_SRV" --port 80
EXPECT=CAP_BPF check "stats without CAP_BPF is refused by name" \
	nocap -bpf,-sys_admin stats "$MQ_SRV"
check "serve's log lines carry UTC time and level" \
	grep -Eq '^20[0-9-]{8}T[0-9:]{8}\.[0-9]{3}Z (error|warning|info) xtcp: ' <(in_srv "$XTCP" serve "$MQ_SRV" --port 80 --app http --queues 9 2>&1)

check "--version" bash -c "$XTCP --version | grep -q '^xtcp [0-9]' && $XTCP serve --version | grep -q '^xtcp [0-9]'"
check_done "netns/operate"
