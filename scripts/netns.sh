#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The netns harness, sourced by tests and the demo: two throwaway namespaces
# joined by one veth pair, named uniquely per run, removed on every exit
# path. The server side gets xtcp; the client side is a plain Linux host.
#
#   client ns "$NS_CLI"  $VETH_CLI 10.77.X.2/24 fd77:X::2/64
#        │  veth
#   server ns "$NS_SRV"  $VETH_SRV 10.77.X.1/24 fd77:X::1/64
#
# With NETNS_MID=1 a third namespace sits on the wire, where xtcp-impair
# bridges $MID_CLI (the client's peer) and $MID_SRV (the server's peer):
#
#   client ns ── veth ── mid ns (xtcp-impair) ── veth ── server ns

NETNS_ID=${NETNS_ID:-$(( $$ % 250 + 1 ))}
NS_SRV="xtcp-$$-srv"
NS_CLI="xtcp-$$-cli"
VETH_SRV="xts$$"
VETH_CLI="xtc$$"
SRV4="10.77.$NETNS_ID.1"
CLI4="10.77.$NETNS_ID.2"
SRV6="fd77:$NETNS_ID::1"
CLI6="fd77:$NETNS_ID::2"
NS_MID="xtcp-$$-mid"
MID_CLI="xmc$$"
MID_SRV="xms$$"
BUILD=${BUILD:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build}
XTCP=${XTCP:-$BUILD/xtcp}

# Run in a namespace without leaving the host's mounts: `ip netns exec`
# remounts /sys, which hides the bpffs that xtcp pins into.
in_srv() { nsenter --net=/run/netns/"$NS_SRV" "$@"; }
in_cli() { nsenter --net=/run/netns/"$NS_CLI" "$@"; }
in_mid() { nsenter --net=/run/netns/"$NS_MID" "$@"; }

# Where xtcp pins IFACE of the server namespace: one directory per network
# namespace, named for its inode (user/pins.c).
pins_of() { echo "/sys/fs/bpf/xtcp/ns$(stat -L -c %i /run/netns/"$NS_SRV" 2>/dev/null)/$1"; }

netns_cleanup() {
	in_srv "$XTCP" detach "$VETH_SRV" >/dev/null 2>&1
	local ns pids pins
	pins=$(dirname "$(pins_of x)")
	for ns in "$NS_SRV" "$NS_CLI" "$NS_MID"; do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		[ -n "$pids" ] || continue
		kill $pids 2>/dev/null
		# what ignores SIGTERM for a second (a stuck serve) must not
		# outlive the test, holding its namespace and XDP program
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 $pids 2>/dev/null || break
			sleep 0.1
		done
		kill -9 $pids 2>/dev/null
	done
	ip netns del "$NS_SRV" 2>/dev/null
	ip netns del "$NS_CLI" 2>/dev/null
	ip netns del "$NS_MID" 2>/dev/null
	# whatever a killed serve left of this run's namespace
	[ -n "$pins" ] && [ "$pins" != /sys/fs/bpf/xtcp/ns ] && rm -rf "$pins" 2>/dev/null
	return 0
}

netns_setup() {
	trap netns_cleanup EXIT
	trap 'exit 130' INT TERM
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	ip netns add "$NS_SRV" && ip netns add "$NS_CLI" || return 1
	if [ "${NETNS_MID:-0}" = 1 ]; then
		netns_mid_links || return 1
	else
		ip link add "$VETH_SRV" netns "$NS_SRV" type veth \
			peer name "$VETH_CLI" netns "$NS_CLI" || return 1
	fi
	ip -n "$NS_SRV" addr add "$SRV4/24" dev "$VETH_SRV"
	ip -n "$NS_CLI" addr add "$CLI4/24" dev "$VETH_CLI"
	ip -n "$NS_SRV" addr add "$SRV6/64" dev "$VETH_SRV" nodad
	ip -n "$NS_CLI" addr add "$CLI6/64" dev "$VETH_CLI" nodad
	for ns in "$NS_SRV" "$NS_CLI"; do
		ip -n "$ns" link set lo up
	done
	ip -n "$NS_SRV" link set "$VETH_SRV" up
	ip -n "$NS_CLI" link set "$VETH_CLI" up
	# A Linux peer leaves TCP checksums partial on veth unless told not
	# to (a real NIC fills them in). XDP_TX reaches the client only when
	# its veth runs NAPI: GRO alone does, until a flood overflows its ring
	# (then it stops draining on this kernel), so the client also gets an
	# XDP_PASS program, which keeps NAPI draining.
	in_cli ethtool -K "$VETH_CLI" tx off gro on >/dev/null
	# through the middle, every frame must be one wire frame: no GSO
	# superframes from the client, none built by GRO on the way
	[ "${NETNS_MID:-0}" = 1 ] && in_cli ethtool -K "$VETH_CLI" gso off tso off >/dev/null
	in_srv ethtool -K "$VETH_SRV" tx off >/dev/null
	ip -n "$NS_CLI" link set dev "$VETH_CLI" xdpdrv \
		obj "$BUILD/bpf/pass.bpf.o" sec xdp || return 1
	return 0
}

# The middle namespace: two veth pairs, no addresses, no IPv6 of its own;
# its ports take every frame whole (no offloads), and the server's peer
# runs XDP_PASS so that the server's XDP_TX reaches it (veth NAPI).
netns_mid_links() {
	ip netns add "$NS_MID" || return 1
	ip link add "$VETH_SRV" netns "$NS_SRV" type veth \
		peer name "$MID_SRV" netns "$NS_MID" || return 1
	ip link add "$VETH_CLI" netns "$NS_CLI" type veth \
		peer name "$MID_CLI" netns "$NS_MID" || return 1
	in_mid sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	for l in "$MID_SRV" "$MID_CLI"; do
		in_mid sysctl -qw "net.ipv6.conf.$l.disable_ipv6=1"
		ip -n "$NS_MID" link set "$l" up
		in_mid ethtool -K "$l" tx off gro off gso off tso off >/dev/null
	done
	ip -n "$NS_MID" link set dev "$MID_SRV" xdpdrv \
		obj "$BUILD/bpf/pass.bpf.o" sec xdp || return 1
	# a queue on each port: a veth whose peer runs XDP holds 256 frames,
	# and without a qdisc a burst from the bridge beyond that is dropped
	# (a loss no impairment chose); with one, the veth stops its queue
	for l in "$MID_SRV" "$MID_CLI"; do
		tc -n "$NS_MID" qdisc replace dev "$l" root pfifo limit 10000 || return 1
	done
}

# A second veth pair SRV_IF CLI_IF with N queues each way, in the same
# namespaces (it goes with them), addressed PREFIX.1 (server) and PREFIX.2,
# set up for xtcp as the first pair is.
netns_mq_pair() { # SRV_IF CLI_IF N PREFIX
	ip link add "$1" netns "$NS_SRV" numtxqueues "$3" numrxqueues "$3" type veth \
		peer name "$2" netns "$NS_CLI" numtxqueues "$3" numrxqueues "$3" || return 1
	ip -n "$NS_SRV" addr add "$4.1/24" dev "$1"
	ip -n "$NS_CLI" addr add "$4.2/24" dev "$2"
	ip -n "$NS_SRV" link set "$1" up
	ip -n "$NS_CLI" link set "$2" up
	in_cli ethtool -K "$2" tx off gro on >/dev/null
	in_srv ethtool -K "$1" tx off >/dev/null
	ip -n "$NS_CLI" link set dev "$2" xdpdrv obj "$BUILD/bpf/pass.bpf.o" sec xdp
}

# Connections accepted by the engine of queue Q of IFACE (server side).
per_queue() { # IFACE Q
	bpftool map lookup pinned "$(pins_of "$1")/engine" key "$2" 0 0 0 |
		python3 -c "import json,sys; print(json.load(sys.stdin)['value']['accepted'])"
}

# A statistic of the client veth (rx_packets, rx_dropped, ...).
cli_link_stat() { ip netns exec "$NS_CLI" cat "/sys/class/net/$VETH_CLI/statistics/$1"; }

# Counter NAME of xtcp's XDP program, from `xtcp stats --json`.
xdp_counter() {
	in_srv "$XTCP" stats "$VETH_SRV" --json |
		python3 -c "import json,sys; d=json.load(sys.stdin); print(d['flows'] if '$1' == 'flows' else d['xdp']['$1'])"
}

# ---- `xtcp serve` in the server namespace, for tests (output in $LOG) ----
SERVE_PID=
start_serve() { # ARGS... ; waits for the "serving" line
	# nsenter itself, not the in_srv function: $! must be xtcp's pid;
	# LOG emptied first, or a previous serve's line may answer the wait
	: >"$LOG"
	nsenter --net=/run/netns/"$NS_SRV" "$XTCP" serve "$VETH_SRV" "$@" >"$LOG" 2>&1 &
	SERVE_PID=$!
	for _ in $(seq 300); do
		grep -q serving "$LOG" && return 0
		kill -0 "$SERVE_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$LOG" >&2
	return 1
}

stop_serve() { # SIGINT, then at most 10 s for a clean exit
	kill -INT "$SERVE_PID" || return 1
	for _ in $(seq 100); do
		kill -0 "$SERVE_PID" 2>/dev/null || { wait "$SERVE_PID"; return; }
		sleep 0.1
	done
	kill -9 "$SERVE_PID"
	return 1
}

# The impairment bridge (tests/tools/impair.c) between MID_CLI and MID_SRV
# for at most SECS seconds, its output (the JSON summary at the end) in
# $ILOG, its pid in IMPAIR_PID (NETNS_MID=1).
impair_start() { # SECS ARGS...
	local secs=$1
	shift
	nsenter --net=/run/netns/"$NS_MID" "$BUILD/xtcp-impair" --a "$MID_CLI" \
		--b "$MID_SRV" --duration "$secs" "$@" >"$ILOG" 2>&1 &
	IMPAIR_PID=$!
	sleep 0.3
	kill -0 "$IMPAIR_PID" 2>/dev/null
}

impair_stop() { # it writes its summary into $ILOG as it goes
	[ -n "${IMPAIR_PID:-}" ] || return 0
	kill -INT "$IMPAIR_PID" 2>/dev/null
	wait "$IMPAIR_PID" 2>/dev/null
	IMPAIR_PID=
}

engine_counter() {
	in_srv "$XTCP" stats "$VETH_SRV" --json | python3 -c "
import json, sys; d = json.load(sys.stdin)
print(d['flows'] if '$1' == 'flows' else d['engine']['$1'])"
}

# connections in any state, from the gauges; `conns live`: not TIME-WAIT
conns() {
	in_srv "$XTCP" stats "$VETH_SRV" --json | python3 -c "
import json, sys; e = json.load(sys.stdin)['engine']
skip = 'conn_time_wait' if '${1:-}' == 'live' else ''
print(sum(v for k, v in e.items() if k.startswith('conn_') and k != skip))"
}

# Both ends of the pair to MTU. A veth takes only a multi-buffer XDP
# program (xdp.frags) once its peer's MTU passes about 3,500: the client's
# XDP_PASS goes back on as one.
netns_mtu() { # MTU
	ip -n "$NS_CLI" link set dev "$VETH_CLI" xdpdrv off
	ip -n "$NS_SRV" link set dev "$VETH_SRV" mtu "$1" &&
	ip -n "$NS_CLI" link set dev "$VETH_CLI" mtu "$1" &&
	ip -n "$NS_CLI" link set dev "$VETH_CLI" xdpdrv \
		obj "$BUILD/bpf/pass.bpf.o" sec xdp.frags
}
