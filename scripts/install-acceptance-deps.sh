#!/usr/bin/env bash
# Install what the acceptance suite (tests/acceptance) needs, idempotently:
#   * Debian's Chromium at /usr/bin/chromium (Playwright cannot download browsers here),
#   * the Microsoft 365 Agents Playground CLI from package-lock.json (npm ci),
#   * Playwright for Python into the active interpreter (python3 on PATH, or $PYTHON).
# Safe to run again: each step is skipped when its result is already there.
# Nothing is downloaded later at test time.
set -euo pipefail

PLAYWRIGHT_VERSION="1.65.2"   # PyPI playwright; see tests/acceptance/README.md before changing
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# 1. Chromium from Debian
if [ ! -x /usr/bin/chromium ]; then
    echo "install-acceptance-deps: installing Debian chromium"
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
else
    echo "install-acceptance-deps: chromium present ($(/usr/bin/chromium --version 2>/dev/null || echo '?'))"
fi

# 2. Node packages from the lock file (npm writes node_modules/.package-lock.json on install;
#    reinstall when it is missing or older than package-lock.json)
cd "$ROOT"
stamp="node_modules/.package-lock.json"
if [ ! -x node_modules/.bin/agentsplayground ] || [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
    echo "install-acceptance-deps: npm ci"
    npm ci --include=dev --no-audit --no-fund
else
    echo "install-acceptance-deps: node_modules up to date"
fi

# 3. Playwright for Python (the wheel carries its own Node driver; no browser download)
installed="$("$PYTHON" -c 'import importlib.metadata as m; print(m.version("playwright"))' 2>/dev/null || true)"
if [ "$installed" != "$PLAYWRIGHT_VERSION" ]; then
    echo "install-acceptance-deps: pip install playwright==$PLAYWRIGHT_VERSION (had: ${installed:-none})"
    "$PYTHON" -m pip install "playwright==$PLAYWRIGHT_VERSION"
else
    echo "install-acceptance-deps: playwright $installed present"
fi
