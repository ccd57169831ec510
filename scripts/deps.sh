#!/usr/bin/env bash
# Installs, with apt-get and only when missing, what Hub Talks needs to run
# (PostgreSQL, Node.js) or to test (also Redis, Chromium and xmllint). Idempotent.
# Usage: scripts/deps.sh run|test
set -euo pipefail
mode=${1:-run}

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ "$mode" = test ]; then
  # go test -race needs cgo, so a C compiler and the C library's headers.
  command -v gcc >/dev/null 2>&1 || missing+=(gcc)
  [ -f /usr/include/stdlib.h ] || missing+=(libc6-dev)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  # xmllint validates schedule.xml against c3voc's XSD.
  command -v xmllint >/dev/null 2>&1 || missing+=(libxml2-utils)
  # pdftotext reads certificates of attendance back in the tests.
  command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
fi
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)

if [ ${#missing[@]} -gt 0 ]; then
  echo "scripts/deps.sh: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Vite 8 needs Node.js 20.19 or newer.
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "scripts/deps.sh: Node.js $(node --version 2>/dev/null) is too old for the frontend build (needs >= 20.19)" >&2
  exit 1
fi
