#!/usr/bin/env bash
# Fuzzes the MIME decoder with libFuzzer and AddressSanitizer for a bounded time.
#   scripts/fuzz-mime.sh [seconds=600]
# Builds into .build/fuzz (the normal debug build is left alone), starts from Fuzz/corpus and keeps what it
# learns in Fuzz/work. A crash is written to Fuzz/artifacts/; replay it without sanitizers with
#   swift build --product pishkhan-mime-fuzz && .build/debug/pishkhan-mime-fuzz Fuzz/artifacts/crash-…
# and keep it as a regression test in Tests/PishkhanChannelsTests/Email/RobustnessTests.swift.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
swift build --scratch-path .build/fuzz -c debug \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DMIME_LIBFUZZER --product pishkhan-mime-fuzz
mkdir -p Fuzz/work Fuzz/artifacts
cp -n Fuzz/corpus/* Fuzz/work/ 2>/dev/null || true
.build/fuzz/debug/pishkhan-mime-fuzz Fuzz/work -max_total_time="$seconds" -max_len=16384 -timeout=10 \
  -rss_limit_mb=2048 -artifact_prefix=Fuzz/artifacts/
