#!/usr/bin/env bash
# s3-server.sh: a local S3-compatible server (versitygw) for Weir's
# integration tests.
#
#   scripts/s3-server.sh start DIR   install versitygw into DIR/bin if absent,
#                                    serve DIR/s3 on 127.0.0.1:7070, create the
#                                    bucket, wait until it answers, write
#                                    DIR/versitygw.pid and print the export
#                                    lines for the tests on stdout
#   scripts/s3-server.sh stop DIR    stop the server started with DIR
#
# Typical use:
#   eval "$(scripts/s3-server.sh start /tmp/weir-s3)"
#   go test -run S3Integration ./checkpoint/storage/
#   scripts/s3-server.sh stop /tmp/weir-s3
#
# Only the export lines go to stdout; progress and errors go to stderr.
# Environment: WEIR_S3_ADDR (default 127.0.0.1:7070), WEIR_S3_BUCKET
# (default weir-test). The first start needs network access to the Go module
# proxy; the install takes about two minutes.
set -euo pipefail

module=github.com/versity/versitygw/cmd/versitygw
version=v1.8.0
addr=${WEIR_S3_ADDR:-127.0.0.1:7070}
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
	# Any HTTP answer (even 403 to an unsigned request) means it is up.
	if command -v curl >/dev/null 2>&1; then
		curl -s -o /dev/null --max-time 1 "http://$addr/"
	else
		(exec 3<>"/dev/tcp/${addr%:*}/${addr##*:}") 2>/dev/null
	fi
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
		log "already running (pid $(cat "$pidfile"))"
		print_exports
		exit 0
	fi
	if [ ! -x "$dir/bin/versitygw" ]; then
		log "installing $module@$version into $dir/bin (about two minutes)"
		GOBIN="$dir/bin" GOFLAGS= go install "$module@$version" >&2
	fi
	"$dir/bin/versitygw" --access "$access" --secret "$secret" --port "$addr" \
		posix "$dir/s3" >"$dir/versitygw.log" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$pidfile"
	for _ in $(seq 1 100); do
		if ! alive "$pid"; then
			log "versitygw exited; last lines of $dir/versitygw.log:"
			tail -n 20 "$dir/versitygw.log" >&2 || true
			rm -f "$pidfile"
			exit 1
		fi
		if answers; then
			log "versitygw (pid $pid) serves $dir/s3 on $addr, bucket $bucket"
			print_exports
			exit 0
		fi
		sleep 0.2
	done
	log "versitygw did not answer on $addr within 20 s; stopping it"
	kill "$pid" 2>/dev/null || true
	rm -f "$pidfile"
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
	rm -f "$pidfile"
	log "stopped"
	;;
*)
	usage
	;;
esac
