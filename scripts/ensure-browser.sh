# Sourced by scripts/test (or run on its own): makes sure Debian's Chromium
# is installed for the browser tests. Playwright never downloads a browser
# here (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1); it drives /usr/bin/chromium
# (or OMNIDESK_CHROMIUM).

ensure_browser() {
  local chromium="${OMNIDESK_CHROMIUM:-/usr/bin/chromium}"
  if [ -x "$chromium" ]; then
    return 0
  fi
  echo "scripts/test: installing Chromium from Debian's packages" >&2
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  if [ ! -x "$chromium" ]; then
    echo "scripts/test: Chromium is still missing at $chromium" >&2
    return 1
  fi
}

# The web app's npm dependencies: `npm ci` when node_modules is missing or
# older than package-lock.json. Never downloads Playwright's browsers.
ensure_ui_deps() {
  local ui="${1:-ui}"
  export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
  if ! command -v npm >/dev/null 2>&1; then
    echo "scripts/test: npm is missing (the web app needs Node.js >= 20.19 with npm)" >&2
    return 1
  fi
  if [ ! -f "$ui/node_modules/.package-lock.json" ] || [ "$ui/package-lock.json" -nt "$ui/node_modules/.package-lock.json" ]; then
    echo "scripts/test: installing the web app's npm dependencies (npm ci)" >&2
    (cd "$ui" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  cd "$(dirname "$0")/.."
  ensure_browser
  ensure_ui_deps
fi
