#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# make test's short fuzzing pass: every input of the committed corpus, then
# RUNS fresh mutations from a fixed seed, under ASan and UBSan. A crash,
# leak or sanitizer report fails it; libFuzzer leaves the input in build/.
set -u
cd "$(dirname "$0")/../.."
bin=build/fuzz/fuzz_engine
corpus=tests/fuzz/corpus
runs=${RUNS:-20000}
n=$(find "$corpus" -type f | wc -l)
# new inputs land in the first directory: never the committed one
rm -rf build/fuzz/run-corpus
mkdir -p build/fuzz/crashes build/fuzz/run-corpus
if "$bin" -runs=0 -timeout=10 "$corpus" >build/fuzz/replay.log 2>&1 &&
   "$bin" -runs="$runs" -seed=1 -max_len=4096 -timeout=10 \
	-artifact_prefix=build/fuzz/crashes/ build/fuzz/run-corpus "$corpus" \
	>>build/fuzz/replay.log 2>&1; then
	echo "fuzz/engine: $n corpus inputs and $runs mutations clean"
	echo "fuzz/engine: $((n + 1)) passed, 0 failed"
	exit 0
fi
tail -40 build/fuzz/replay.log
echo "fuzz/engine: 0 passed, 1 failed (log: build/fuzz/replay.log)"
exit 1
