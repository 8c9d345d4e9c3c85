#!/usr/bin/env bash
# Builds Pishkhan (release) and starts it on the embedded defaults: SQLite under ./data, the shipped
# Channels/, KnowledgeBase/ and SLA/sla.yaml, http://127.0.0.1:8080. Extra arguments go to `pishkhan serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh pkg-config libsqlite3-dev libcurl4-openssl-dev libstemmer-dev libfribidi-dev libncurses-dev
swift build -c release --product pishkhan
exec .build/release/pishkhan serve "$@"
