#!/usr/bin/env bash
# Runs every test: unit, store (SQLite, and a real PostgreSQL), HTTP, IMAP against a real Dovecot, SMTP against a real aiosmtpd, and the
# end-to-end tests against a real `pishkhan serve` (crash, mail, the TUI in tmux, the chat widget in a headless
# Chromium driven by Selenium). Installs what the build and the tests need when it is missing. The tests start
# PostgreSQL, Dovecot, the SMTP sink and Chromium themselves, on loopback, and stop them by pid.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh pkg-config libsqlite3-dev libcurl4-openssl-dev libstemmer-dev libfribidi-dev libncurses-dev dovecot-imapd openssl python3-pip tmux curl \
  chromium chromium-driver python3-selenium postgresql
if ! python3 -c "import aiosmtpd" 2>/dev/null; then
  python3 -m pip install --quiet aiosmtpd 2>/dev/null || python3 -m pip install --quiet --break-system-packages aiosmtpd
fi
# The executable is built too: the end-to-end tests start it as a child process.
swift build --build-tests
swift test --skip-build --disable-xctest "$@"
