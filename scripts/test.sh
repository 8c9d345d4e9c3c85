#!/usr/bin/env bash
# Runs every test: unit, store, HTTP and the end-to-end crash test against a real `pishkhan serve`.
# Installs the system packages the build needs when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh pkg-config libsqlite3-dev
# The executable is built too: the end-to-end tests start it as a child process.
swift build --build-tests
swift test --skip-build --disable-xctest "$@"
