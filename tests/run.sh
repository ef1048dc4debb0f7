#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The runner `make test` calls: every layer of the ladder in order (unit, no
# root; install, no root; bpf, root; netns, root), each test printing "NAME: N passed, N
# failed". Closes with the programs that broke (crashed, hung, or exited
# non-zero or without a summary, with no failure reported: each one a
# failure too) and the sum on a line of its own. Exit 77 = skipped.
set -u
cd "$(dirname "$0")/.."
layers=${1:-all}
passed=0 failed=0 skipped=0 broken=0 broken_names=()

run_one() { # LIMIT_SECONDS CMD...: a hang is a failure, not a stuck CI
	local limit=$1 out rc p f
	shift
	out=$(timeout "$limit" "$@" 2>&1)
	rc=$?
	[ $rc -eq 124 ] && out+=$'\n'"$*: timed out after ${limit}s"
	printf '%s\n' "$out"
	if [ $rc -eq 77 ]; then
		skipped=$((skipped + 1))
		return
	fi
	read -r p f < <(printf '%s\n' "$out" |
		sed -n 's/^[^ ]*: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' | tail -1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	# a crash, a hang, a silent non-zero exit or no summary at all: the
	# program is broken, a failure of its own
	if { [ $rc -ne 0 ] && [ "${f:-0}" -eq 0 ]; } || [ -z "$p" ]; then
		local why="exit $rc"
		[ -z "$p" ] && why+=", no summary line"
		echo "$*: broken ($why)" >&2
		failed=$((failed + 1))
		broken=$((broken + 1))
		broken_names+=("$* ($why)")
	fi
}

if [ "$layers" = all ] || [ "$layers" = unit ]; then
	echo "== unit"
	for t in build/tests/unit/test_*; do run_one 300 "$t"; done
	echo "== unit again, under AddressSanitizer and UBSan"
	for t in build/san/tests/unit/test_*; do run_one 300 "$t"; done
	echo "== fuzzing: the committed corpus and a short pass (libFuzzer, ASan, UBSan)"
	run_one 300 bash tests/fuzz/replay.sh
fi
if [ "$layers" = all ] || [ "$layers" = install ]; then
	echo "== install: make install and uninstall into a scratch DESTDIR"
	run_one 120 bash tests/install/test_install.sh
fi
if [ "$layers" = all ] || [ "$layers" = bpf ]; then
	echo "== bpf (BPF_PROG_TEST_RUN)"
	for t in build/tests/bpf/test_*; do run_one 300 "$t"; done
fi
if [ "$layers" = all ] || [ "$layers" = netns ]; then
	echo "== netns (veth between two namespaces)"
	for t in tests/netns/test_*.sh; do run_one 600 bash "$t"; done
fi
echo
[ $skipped -gt 0 ] && echo "($skipped test programs skipped: not root)"
echo "$broken test programs broken (crashed, hung, or exited non-zero or" \
	"without a summary, no failure reported)"
for b in "${broken_names[@]}"; do echo "  broken: $b"; done
echo "$passed passed, $failed failed"
[ $failed -eq 0 ] && [ $broken -eq 0 ]
