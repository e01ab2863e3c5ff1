#!/usr/bin/env bash
# Prepares a fresh Debian machine (Node 20 + npm is enough) to run and test virtsim:
#   - Debian's nats-server, kubectl, openssl, chromium and prometheus, installed with apt-get when missing;
#   - the npm dependencies, which include Node.js 24 (the `node` dev dependency) so that
#     every npm script, npx virtsim and vitest run on Node 24 whatever the machine ships.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v nats-server >/dev/null 2>&1 || need_apt+=(nats-server)
command -v kubectl >/dev/null 2>&1 || need_apt+=(kubectl)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
# The load test's HTML report is checked in a real browser by the tests.
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
# The Grafana dashboards' and rule files' queries are evaluated by a real Prometheus in the tests
# (Debian's package also ships promtool).
{ command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; } || need_apt+=(prometheus)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${need_apt[*]} with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "setup: missing ${need_apt[*]}: install them (Debian/Ubuntu: sudo apt-get install ${need_apt[*]}; elsewhere put nats-server 2.9+ and kubectl on PATH) and run this again" >&2
    exit 1
  fi
fi

# Install only when the lockfile changed since the last install: a second run is instant.
# `npm install` (honouring the lockfile), not `npm ci`: the registry serves only some of nx's
# per-platform optional packages, so the lockfile cannot list them and `npm ci` refuses it.
stamp=node_modules/.virtsim-lock-hash
want=$(cat package.json package-lock.json packages/*/package.json services/*/package.json loadtest/package.json 2>/dev/null | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: npm install" >&2
  npm install --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
echo "setup: ready (node $(node_modules/.bin/node --version), $(nats-server --version 2>&1 | head -1), kubectl $(kubectl version --client 2>/dev/null | head -1 | sed 's/Client Version: //'))" >&2
