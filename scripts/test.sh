#!/usr/bin/env bash
# Runs Weir's whole test suite on a fresh Debian machine with Go 1.26+:
# installs the tools and servers the tests need (under .testenv/), checks
# formatting, vet and staticcheck, then runs every test with -race.
# Everything it starts listens on 127.0.0.1 and is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
B=${WEIR_TEST_DIR:-$root/.testenv}
mkdir -p "$B/bin"
export PATH="$B/bin:$PATH"

command -v go >/dev/null || { echo "test.sh: Go 1.26 or later is required (https://go.dev/dl/)" >&2; exit 1; }

step() { printf '\n=== %s\n' "$*"; }

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" $unformatted >&2
  exit 1
fi

step "go vet"
go vet ./...

step "staticcheck"
if ! [ -x "$B/bin/staticcheck" ]; then
  GOBIN="$B/bin" go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
fi
staticcheck ./...

# The dashboard is tested in a real headless Chromium driven by
# playwright-core (Node 20+). Debian's chromium is installed when missing
# (as root); Node comes with the machine, or from Debian when absent.
if ! [ -x /usr/bin/chromium ] || ! command -v node >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    step "apt-get install chromium (and nodejs if missing)"
    pkgs="chromium"
    command -v node >/dev/null || pkgs="$pkgs nodejs npm"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
  else
    echo "test.sh: the dashboard test needs /usr/bin/chromium and node; install them or run as root on Debian" >&2
  fi
fi
if command -v npm >/dev/null; then
  step "npm ci (dashboard test driver)"
  npm ci --prefix web/e2e --no-audit --no-fund --loglevel=error
fi
export WEIR_ARTIFACTS="${WEIR_ARTIFACTS:-$B/artifacts}"

cleanup() {
  if [ -x scripts/s3-server.sh ]; then scripts/s3-server.sh stop "$B" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

if [ -x scripts/s3-server.sh ]; then
  step "S3-compatible server on a free port of 127.0.0.1"
  eval "$(scripts/s3-server.sh start "$B")"
  step "s3-server.sh: two more servers side by side, each on its own port"
  scripts/s3-server-test.sh "$B/bin/versitygw"
fi

untracked() { git status --porcelain --untracked-files=all 2>/dev/null | grep '^??' || true; }
before="$(untracked)"

step "go test -race"
go test -race -count=1 -timeout 20m ./...

# A test that writes into the source tree (a checkpoint directory under
# the working directory, say) would leave a fresh checkout dirty.
step "the tests left nothing in the source tree"
after="$(untracked)"
if [ "$after" != "$before" ]; then
  echo "test.sh: tests left files in the source tree:" >&2
  diff <(echo "$before") <(echo "$after") | grep '^>' >&2
  exit 1
fi
