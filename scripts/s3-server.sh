#!/usr/bin/env bash
# s3-server.sh: a local S3-compatible server (versitygw) for Weir's
# integration tests.
#
#   scripts/s3-server.sh start DIR   install versitygw into DIR/bin if absent,
#                                    serve DIR/s3 on a free port of 127.0.0.1,
#                                    create the bucket, wait until it answers,
#                                    write DIR/versitygw.pid and
#                                    DIR/versitygw.addr and print the export
#                                    lines for the tests on stdout (the port is
#                                    in WEIR_TEST_S3_URL's endpoint)
#   scripts/s3-server.sh stop DIR    stop the server started with DIR
#
# Typical use:
#   eval "$(scripts/s3-server.sh start /tmp/weir-s3)"
#   go test -run S3Integration ./checkpoint/storage/
#   scripts/s3-server.sh stop /tmp/weir-s3
#
# Only the export lines go to stdout; progress and errors go to stderr.
# Each DIR gets a server of its own on a port nobody listens on, so two runs
# (two checkouts, or test.sh beside chaos.sh) never share or fight over one;
# starting again with a DIR whose server runs prints its lines again.
# Environment: WEIR_S3_ADDR (HOST:PORT, to choose the address instead),
# WEIR_S3_BUCKET (default weir-test). The first start needs network access
# to the Go module proxy; the install takes about two minutes.
set -euo pipefail

module=github.com/versity/versitygw/cmd/versitygw
version=v1.8.0
addr=${WEIR_S3_ADDR:-}
bucket=${WEIR_S3_BUCKET:-weir-test}
access=test
secret=testsecret

usage() {
	echo "usage: $0 start|stop DIR" >&2
	exit 2
}

log() { echo "s3-server: $*" >&2; }

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

answers() {
	# Something listens on $1 (HOST:PORT). Any HTTP answer, even 403 to an
	# unsigned request, means the server is up.
	if command -v curl >/dev/null 2>&1; then
		curl -s -o /dev/null --max-time 1 "http://$1/"
	else
		(exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null
	fi
}

# free_addr prints 127.0.0.1:PORT for a port nobody listens on, from
# 20000-31999: below Linux's ephemeral range, so outgoing connections do not
# hold it either.
free_addr() {
	local a
	for _ in $(seq 1 50); do
		a=127.0.0.1:$((20000 + RANDOM % 12000))
		if ! answers "$a"; then
			echo "$a"
			return 0
		fi
	done
	log "found no free port in 127.0.0.1:20000-31999 after 50 tries"
	return 1
}

# serve starts versitygw on $addr and waits until it answers: 0 when it
# does, 1 when it exited (its log says why), 2 when it did not answer in
# 20 s.
serve() {
	"$dir/bin/versitygw" --access "$access" --secret "$secret" --port "$addr" \
		posix "$dir/s3" >"$dir/versitygw.log" 2>&1 </dev/null &
	pid=$!
	# Written now, so that stop finds it even if this script is cut short.
	echo "$pid" >"$pidfile"
	echo "$addr" >"$dir/versitygw.addr"
	for _ in $(seq 1 100); do
		if ! alive "$pid"; then
			return 1
		fi
		if answers "$addr"; then
			# Bound by someone else between free_addr and now, ours exits
			# at once: look again before trusting the answer.
			sleep 0.2
			alive "$pid" && return 0
			return 1
		fi
		sleep 0.2
	done
	return 2
}

print_exports() {
	local q="region=us-east-1&endpoint=http://$addr&use_path_style=true&disable_https=true"
	q="$q&request_checksum_calculation=when_required&response_checksum_validation=when_required"
	echo "export WEIR_TEST_S3_URL='s3://$bucket?$q'"
	echo "export AWS_ACCESS_KEY_ID=$access"
	echo "export AWS_SECRET_ACCESS_KEY=$secret"
}

[ $# -eq 2 ] || usage
cmd=$1
dir=$2

case "$cmd" in
start)
	mkdir -p "$dir/bin" "$dir/s3/$bucket"
	dir=$(cd "$dir" && pwd)
	pidfile="$dir/versitygw.pid"
	if [ -f "$pidfile" ] && alive "$(cat "$pidfile")"; then
		# Its address: the one it was started on (7070 for a server started
		# before the address was written down).
		addr=$(cat "$dir/versitygw.addr" 2>/dev/null || echo 127.0.0.1:7070)
		log "already running (pid $(cat "$pidfile")) on $addr"
		print_exports
		exit 0
	fi
	if [ ! -x "$dir/bin/versitygw" ]; then
		log "installing $module@$version into $dir/bin (about two minutes)"
		GOBIN="$dir/bin" GOFLAGS= go install "$module@$version" >&2
	fi
	chosen=$addr
	for try in 1 2 3 4 5; do
		[ -n "$chosen" ] || addr=$(free_addr)
		rc=0
		serve || rc=$?
		if [ "$rc" = 0 ]; then
			log "versitygw (pid $pid) serves $dir/s3 on $addr, bucket $bucket"
			print_exports
			exit 0
		fi
		kill "$pid" 2>/dev/null || true
		rm -f "$pidfile" "$dir/versitygw.addr"
		if [ "$rc" = 1 ] && [ -z "$chosen" ] && grep -qi 'address already in use' "$dir/versitygw.log"; then
			log "port of $addr taken meanwhile (try $try); picking another"
			continue
		fi
		break
	done
	if [ "$rc" = 2 ]; then
		log "versitygw did not answer on $addr within 20 s; stopped it"
	else
		log "versitygw exited; last lines of $dir/versitygw.log:"
		tail -n 20 "$dir/versitygw.log" >&2 || true
	fi
	exit 1
	;;
stop)
	pidfile="$dir/versitygw.pid"
	if [ ! -f "$pidfile" ]; then
		log "not running (no $pidfile)"
		exit 0
	fi
	pid=$(cat "$pidfile")
	if alive "$pid"; then
		kill "$pid"
		for _ in $(seq 1 50); do
			alive "$pid" || break
			sleep 0.1
		done
		if alive "$pid"; then
			log "pid $pid did not stop on TERM; sending KILL"
			kill -9 "$pid" 2>/dev/null || true
		fi
	fi
	rm -f "$pidfile" "$dir/versitygw.addr"
	log "stopped"
	;;
*)
	usage
	;;
esac
