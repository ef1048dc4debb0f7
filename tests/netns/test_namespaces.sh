#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# One interface in one network namespace is one instance: two namespaces
# each with an interface of the same name each get their own xtcp, and no
# command run in one (or in the host) sees or touches the other's. `-n
# NETNS` runs a command in a namespace; under `ip netns exec` xtcp says
# what to run instead, and a failed command changes nothing.
set -u
cd "$(dirname "$0")/../.."
. scripts/netns.sh
. tests/lib/check.sh
[ "$(id -u)" -eq 0 ] || { echo "netns/namespaces: needs root" >&2; exit 77; }
netns_setup || { echo "netns/namespaces: setup failed" >&2; exit 1; }
LOG=$(mktemp)
trap 'rm -f "$LOG"; netns_cleanup' EXIT

SAME="xsame$$"	# the same name in both namespaces
for ns in "$NS_SRV" "$NS_CLI"; do
	ip -n "$ns" link add "$SAME" type veth peer name "xsp$$" &&
		ip -n "$ns" link set "$SAME" up && ip -n "$ns" link set "xsp$$" up ||
		{ echo "netns/namespaces: veth setup failed" >&2; exit 1; }
done
A=(-n "$NS_SRV") B=(-n "$NS_CLI")
ports() { # NS-ARGS... -> the ports `status --json` shows for $SAME
	"$XTCP" "$@" status --json | python3 -c "
import json, sys
print(' '.join(str(p) for s in json.load(sys.stdin) if s['ifname'] == '$SAME'
      for p in s['ports']))"
}

check "attach in namespace A (-n)" "$XTCP" "${A[@]}" attach "$SAME" --port 80 --xdp-mode generic
check "attach the same name in namespace B" "$XTCP" "${B[@]}" attach "$SAME" --port 81 --xdp-mode generic
check "A's status shows A's port only" [ "$(ports "${A[@]}")" = 80 ]
check "B's status shows B's port only" [ "$(ports "${B[@]}")" = 81 ]
check "the host's status shows neither" [ -z "$(ports)" ]
check "each has its own pins directory" \
	bash -c "[ -d '$(pins_of "$SAME")' ] && [ '$(pins_of "$SAME")' != /sys/fs/bpf/xtcp/ns$(stat -L -c %i /run/netns/"$NS_CLI")/$SAME ] &&
		 [ -d /sys/fs/bpf/xtcp/ns$(stat -L -c %i /run/netns/"$NS_CLI")/$SAME ]"

refused() { # CMD...: fails and leaves both instances as they were
	"$@" >"$LOG" 2>&1 && return 1
	echo "    $(head -1 "$LOG")"
	[ "$(ports "${A[@]}")" = 80 ] && [ "$(ports "${B[@]}")" = 81 ]
}
check "detach in the host refuses and touches neither" refused "$XTCP" detach "$SAME"
check "attach to a missing interface in A changes nothing" \
	refused "$XTCP" "${A[@]}" attach "nosuch$$" --port 80
check "attach again in A is refused, B untouched" \
	refused "$XTCP" "${A[@]}" attach "$SAME" --port 80 --xdp-mode generic
check "stats in A reads A's counters" \
	bash -c "'$XTCP' -n '$NS_SRV' stats '$SAME' --json | python3 -c 'import json,sys; json.load(sys.stdin)[\"xdp\"]'"

# `ip netns exec` hides the host's bpffs: say what to run, change nothing
check "under ip netns exec, xtcp names -n NETNS as the way" \
	bash -c "! ip netns exec '$NS_SRV' '$XTCP' status 2>'$LOG' && grep -q 'xtcp -n $NS_SRV' '$LOG'"
check "and a bpffs mounted there is refused too" \
	bash -c "! ip netns exec '$NS_SRV' sh -c 'mount -t bpf bpf /sys/fs/bpf && \"\$0\" attach \"\$1\" --port 82' '$XTCP' '$SAME' 2>'$LOG' &&
		 grep -q 'xtcp -n $NS_SRV' '$LOG' &&
		 '$XTCP' -n '$NS_SRV' status --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
d = d if isinstance(d, list) else d.get(\"interfaces\", [d])
sys.exit(any(82 in e.get(\"ports\", []) + e.get(\"kernel_ports\", []) for e in d))'"
check "-n with an unknown namespace is refused by name" \
	bash -c "! '$XTCP' -n nosuch$$ status 2>'$LOG' && grep -q 'nosuch$$' '$LOG'"

check "detach in A" "$XTCP" "${A[@]}" detach "$SAME"
check "B still attached" [ "$(ports "${B[@]}")" = 81 ]
check "B's XDP program still on its interface" bash -c "ip -n '$NS_CLI' link show '$SAME' | grep -q xdp"
check "detach in B" "$XTCP" "${B[@]}" detach "$SAME"
check "nothing left in either" [ -z "$(ports "${A[@]}")" -a -z "$(ports "${B[@]}")" ]

# a serve in A and its control socket: B's stats --conns must not reach it
nsenter --net=/run/netns/"$NS_SRV" "$XTCP" serve "$VETH_SRV" --port 80 --app echo >"$LOG" 2>&1 &
SERVE_PID=$!
for _ in $(seq 100); do grep -q serving "$LOG" && break; sleep 0.1; done
check "serve in A" grep -q serving "$LOG"
check "A's stats --conns answers" "$XTCP" "${A[@]}" stats "$VETH_SRV" --conns
check "the same name from B does not reach A's serve" \
	bash -c "! '$XTCP' -n '$NS_CLI' stats '$VETH_SRV' --conns 2>/dev/null"
check "SIGINT stops it" stop_serve
check_done "netns/namespaces"
