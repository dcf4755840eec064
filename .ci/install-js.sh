#!/usr/bin/env bash
# Installs the AWS SDK for JavaScript v3 that tests/test_server_js.py drives against the local
# server, into tests/server/js/node_modules, exactly as pinned by tests/server/js/package-lock.json.
#
# Without Node.js (>= 18) and npm it prints why and exits 0: those tests then skip. Set
# REQUIRE_JS=1 to make that an error instead (CI, where the JavaScript tests must run).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
harness="$root/tests/server/js"

missing() {
  if [[ "${REQUIRE_JS:-0}" == "1" ]]; then
    echo "install-js: $1 (REQUIRE_JS=1)" >&2
    exit 1
  fi
  echo "install-js: $1; the JavaScript SDK tests will be skipped" >&2
  exit 0
}

command -v node >/dev/null 2>&1 || missing "node is not installed"
command -v npm >/dev/null 2>&1 || missing "npm is not installed"
major="$(node -p 'process.versions.node.split(".")[0]')"
(( major >= 18 )) || missing "node $(node --version) is too old (the SDK needs 18 or later)"

cd "$harness"
# Install once: again only when the lock file changed, so later runs need no registry.
stamp=node_modules/.bedrock-vcr-lock
lock_sum="$(cat package.json package-lock.json 2>/dev/null | cksum)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$lock_sum" ]]; then
  :
else
  if [[ -f package-lock.json ]]; then
    npm ci --no-audit --no-fund --loglevel=error
  else
    npm install --no-audit --no-fund --loglevel=error
  fi
  echo "$lock_sum" > "$stamp"
fi
node --no-warnings -e 'import("@aws-sdk/client-bedrock-runtime").then(() => console.log(
  "install-js: @aws-sdk/client-bedrock-runtime " +
  require("./node_modules/@aws-sdk/client-bedrock-runtime/package.json").version +
  " ready in tests/server/js/node_modules"))'
