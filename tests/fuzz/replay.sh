#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# make test's short fuzzing pass under ASan and UBSan: every input of the
# committed corpus, each a counted outcome of its own, then RUNS fresh
# mutations from a fixed seed, one more. A crash, hang, leak or sanitizer
# report fails the input (or the pass) it happened in; libFuzzer leaves
# the crashing input in build/fuzz/crashes/, the whole output is in
# build/fuzz/replay.log. Ends with "fuzz/engine: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
bin=${FUZZ_BIN:-build/fuzz/fuzz_engine}
corpus=tests/fuzz/corpus
runs=${RUNS:-20000}
log=build/fuzz/replay.log
passed=0 failed=0

# new inputs land in the first directory: never the committed one
rm -rf build/fuzz/run-corpus
mkdir -p build/fuzz/crashes build/fuzz/run-corpus
: >"$log"
if [ ! -x "$bin" ]; then
	echo "fuzz/engine: no $bin (make $bin)"
	echo "fuzz/engine: 0 passed, 1 failed"
	exit 1
fi
mapfile -t inputs < <(find "$corpus" -type f | sort)
n=${#inputs[@]}
[ "$n" -gt 0 ] || { echo "  FAIL no corpus in $corpus"; failed=$((failed + 1)); }

# libFuzzer runs the files it is given one by one, printing "Executed F"
# after each, and stops at the first that fails: that one is counted
# failed and the rest are run again from the one after it.
i=0
while [ "$i" -lt "$n" ]; do
	out=$("$bin" -timeout=10 -artifact_prefix=build/fuzz/crashes/ "${inputs[@]:i}" 2>&1)
	rc=$?
	printf '%s\n' "$out" >>"$log"
	ran=$(printf '%s\n' "$out" | grep -c '^Executed ')
	passed=$((passed + ran))
	i=$((i + ran))
	[ "$rc" -eq 0 ] && [ "$i" -ge "$n" ] && break
	failed=$((failed + 1))
	if [ "$rc" -eq 0 ]; then	# a clean exit that skipped inputs
		echo "  FAIL $((n - i)) corpus inputs not run, from ${inputs[i]}"
		break
	fi
	printf '%s\n' "$out" | grep -v -e '^Running: ' -e '^Executed ' | tail -30
	if [ "$i" -lt "$n" ]; then
		echo "  FAIL corpus input ${inputs[i]} (exit $rc)"
		i=$((i + 1))
	else
		echo "  FAIL after the last corpus input (exit $rc: a leak at exit?)"
	fi
done
[ "$n" -gt 0 ] && [ "$passed" -eq "$n" ] && echo "  ok   $n corpus inputs replayed clean"

if "$bin" -runs="$runs" -seed=1 -max_len=4096 -timeout=10 \
	-artifact_prefix=build/fuzz/crashes/ build/fuzz/run-corpus "$corpus" \
	>>"$log" 2>&1; then
	passed=$((passed + 1))
	echo "  ok   $runs mutations from seed 1 clean"
else
	failed=$((failed + 1))
	tail -40 "$log"
	echo "  FAIL the mutation pass ($runs runs from seed 1)"
fi
[ "$failed" -eq 0 ] || echo "(log: $log)"
echo "fuzz/engine: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
