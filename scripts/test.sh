#!/usr/bin/env bash
# Runs every test: unit, store, HTTP, IMAP against a real Dovecot, SMTP against a real aiosmtpd, and the
# end-to-end crash test against a real `pishkhan serve`. Installs what the build and the tests need when it
# is missing. The mail tests start Dovecot and the SMTP sink themselves, on loopback, and stop them by pid.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh pkg-config libsqlite3-dev libcurl4-openssl-dev libstemmer-dev libfribidi-dev libncurses-dev dovecot-imapd openssl python3-pip tmux curl
if ! python3 -c "import aiosmtpd" 2>/dev/null; then
  python3 -m pip install --quiet aiosmtpd 2>/dev/null || python3 -m pip install --quiet --break-system-packages aiosmtpd
fi
# The executable is built too: the end-to-end tests start it as a child process.
swift build --build-tests
swift test --skip-build --disable-xctest "$@"
