#!/usr/bin/env bash
# s3-server-test.sh: checks that scripts/s3-server.sh gives each directory a
# server of its own on a free port, so that two runs (two checkouts, or
# test.sh beside chaos.sh) do not collide.
#
#   scripts/s3-server-test.sh VERSITYGW   the versitygw binary to use (s3-server.sh
#                                         start installs it into DIR/bin)
#
# It starts two servers in temporary directories, whatever else listens
# (another run's server among them), checks that each answers on its own
# port, that a second start of a running one prints the same lines, and
# that stopping one leaves the other up; it stops only the servers it
# started. S3_SERVER names the script under test (default
# scripts/s3-server.sh). Exit status 0 when all holds, 1 with a line saying
# what did not.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 1 ] && [ -x "$1" ] || { echo "usage: $0 VERSITYGW (an executable versitygw)" >&2; exit 2; }
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
script=${S3_SERVER:-scripts/s3-server.sh}
tmp=$(mktemp -d /tmp/weir-s3-test.XXXXXX)
cleanup() {
	for d in a b; do "$script" stop "$tmp/$d" >/dev/null 2>&1 || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "s3-server-test: $*" >&2; exit 1; }

endpoint() { sed -n "s/.*endpoint=http:\/\/\([^&]*\)&.*/\1/p" <<<"$1"; }
answers() { (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null; }

for d in a b; do
	mkdir -p "$tmp/$d/bin"
	ln -s "$bin" "$tmp/$d/bin/versitygw"
done
unset WEIR_S3_ADDR
out_a=$("$script" start "$tmp/a" 2>"$tmp/a.err") || fail "start a: $(tail -n 5 "$tmp/a.err")"
out_b=$("$script" start "$tmp/b" 2>"$tmp/b.err") || fail "start b beside a: $(tail -n 5 "$tmp/b.err")"
ep_a=$(endpoint "$out_a")
ep_b=$(endpoint "$out_b")
[ -n "$ep_a" ] && [ -n "$ep_b" ] || fail "no endpoint in the export lines:
$out_a
$out_b"
[ "$ep_a" != "$ep_b" ] || fail "both servers say they serve $ep_a"
answers "$ep_a" || fail "a does not answer on $ep_a"
answers "$ep_b" || fail "b does not answer on $ep_b"
again=$("$script" start "$tmp/a" 2>/dev/null) || fail "second start of a failed"
[ "$again" = "$out_a" ] || fail "second start of a printed other lines:
$again
want
$out_a"
"$script" stop "$tmp/a" 2>/dev/null
for _ in $(seq 1 50); do answers "$ep_a" || break; sleep 0.1; done
answers "$ep_a" && fail "a still answers on $ep_a after stop"
answers "$ep_b" || fail "stopping a stopped b too"
echo "s3-server-test: two servers side by side on $ep_a and $ep_b; stop stops only its own"
