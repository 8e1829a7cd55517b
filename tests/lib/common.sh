# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# common.sh - the helpers every test script and scripts/bench.sh share (sourced, not run).
#
# POSIX sh (dash, busybox sh and bash alike), so that the /bin/sh tests can source it as
# well as the bash ones:  . "$(dirname "$0")/../lib/common.sh"
#
#   fail MSG...           print "FAIL: MSG" on stdout and exit 1; with LJMM_FAIL_SHOW set (a
#                         space-separated list of files), the first lines of each non-empty
#                         one follow, so that the failure shows what the test saw
#   fail_later MSG...     print "FAIL: MSG", count it, go on (LJMM_FAILS)
#   exit_if_failed [MSG]  exit 1 (after printing MSG) if fail_later was called
#   skip MSG...           print "SKIP: MSG" on stdout and exit 77 (ctest SKIP_RETURN_CODE)
#   need_cmd CMD [PKG]    skip unless CMD is on PATH, naming the Debian package to install
#   log MSG...            a progress line on stderr; "[TAG  12s] MSG" when LJMM_LOG_TAG is set
#   median [N...]         the median of the numbers given, or of stdin (one per line; blank
#                         lines ignored); nothing printed when there are none, status 2 and
#                         a message on stderr for anything that is not a number. An even
#                         count gives the mean of the two middle values.
#   kv KEY TEXT [DEFAULT] the value of the first whitespace-separated KEY=value token of TEXT
#                         (DEFAULT, or nothing, when there is none; status 0 either way)
#   on_exit CMD           run CMD (a string, eval'ed) when the script exits, on success,
#                         failure, INT or TERM; the last registered runs first. CMD can read
#                         the exit status in LJMM_EXIT_STATUS and set it to make the exit
#                         fail; it must not call exit itself.
#   make_tmpdir VAR [NAME] [keep]   a fresh directory under ${TMPDIR:-/tmp} in VAR, removed
#                         at exit (with "keep": kept, and named, when the script fails)
#   doc_block FILE NAME   the fenced block (``` lines left out) that follows the line of FILE
#                         starting "<!-- ljmm-test: NAME" (then a space or "-->"): what a
#                         document tells operators to do, as tests run it; nothing, status 1,
#                         when there is no such marker or block
#
# FAIL and SKIP go to stdout, where ctest and the callers that capture a test's verdict
# look for them; log lines go to stderr, so that they never end up in a $(...) capture.

# Sourced twice (tests/nginx/lib.sh sources it too): the second time is a no-op, so the
# exit handlers registered in between survive.
if [ -n "${LJMM_COMMON_SH:-}" ]; then
	return 0
fi
LJMM_COMMON_SH=1
LJMM_FAILS=0
LJMM_EXIT_STATUS=0
_ljmm_exit_cmds=""

fail() {
	printf 'FAIL: %s\n' "$*"
	for _ljmm_f in ${LJMM_FAIL_SHOW:-}; do
		if [ -s "$_ljmm_f" ]; then
			printf -- '--- %s:\n' "$_ljmm_f"
			head -n 30 "$_ljmm_f"
		fi
	done
	exit 1
}

fail_later() {
	printf 'FAIL: %s\n' "$*"
	LJMM_FAILS=$((LJMM_FAILS + 1))
}

exit_if_failed() {
	[ "$LJMM_FAILS" -gt 0 ] || return 0
	[ $# -eq 0 ] || printf '%s\n' "$*"
	exit 1
}

skip() {
	printf 'SKIP: %s\n' "$*"
	exit 77
}

need_cmd() {
	command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed${2:+ (Debian: apt-get install $2)}"
}

log() {
	if [ -n "${LJMM_LOG_TAG:-}" ]; then
		# shellcheck disable=SC3028 # bash counts SECONDS; dash prints "?"
		printf '[%s %3ss] %s\n' "$LJMM_LOG_TAG" "${SECONDS:-?}" "$*" >&2
	else
		printf '%s\n' "$*" >&2
	fi
}

median() {
	if [ $# -gt 0 ]; then
		printf '%s\n' "$@"
	else
		cat
	fi | awk '
		NF == 0 { next }
		NF > 1 || $1 !~ /^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$/ {
			printf "median: not a number: \"%s\"\n", $0 > "/dev/stderr"
			bad = 1
			exit 2
		}
		{
			# Insertion sort: a few hundred values at most, and mawk has no asort.
			x = $1 + 0
			for (i = ++n; i > 1 && v[i - 1] > x; i--) v[i] = v[i - 1]
			v[i] = x
		}
		END {
			if (bad) exit 2
			if (n == 0) exit 0
			m = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
			printf "%.15g\n", m
		}'
}

kv() {
	_kv_key=$1 _kv_val=${3:-} _kv_ifs=$IFS
	IFS=' 	
'
	# No pathname expansion of the tokens (a value may hold "*").
	case $- in
	*f*) _kv_noglob=1 ;;
	*) _kv_noglob=0 && set -f ;;
	esac
	for _kv_tok in $2; do
		case $_kv_tok in
		"$_kv_key="*)
			_kv_val=${_kv_tok#*=}
			break
			;;
		esac
	done
	[ "$_kv_noglob" = 1 ] || set +f
	IFS=$_kv_ifs
	[ -z "$_kv_val" ] || printf '%s\n' "$_kv_val"
}

_ljmm_exit() {
	LJMM_EXIT_STATUS=$?
	trap - EXIT
	set +e
	eval "$_ljmm_exit_cmds"
	exit "$LJMM_EXIT_STATUS"
}

on_exit() {
	# Newest first: a later helper may still need what an earlier one set up.
	_ljmm_exit_cmds="$1
$_ljmm_exit_cmds"
	trap _ljmm_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# _ljmm_rm_tmp DIR keep|drop: the exit handler of make_tmpdir.
_ljmm_rm_tmp() {
	if [ "$2" = keep ] && [ "$LJMM_EXIT_STATUS" != 0 ]; then
		printf 'kept for inspection: %s\n' "$1"
	else
		rm -rf -- "$1"
	fi
}

make_tmpdir() {
	_mt_dir=$(mktemp -d "${TMPDIR:-/tmp}/ljmm-${2:-test}.XXXXXX") || fail "mktemp -d failed"
	eval "$1=\$_mt_dir"
	# The name is quoted for eval: mktemp's template keeps it to safe characters, but a
	# TMPDIR may hold spaces.
	on_exit "_ljmm_rm_tmp '$(printf '%s' "$_mt_dir" | sed "s/'/'\\\\''/g")' ${3:-drop}"
}

doc_block() {
	awk -v m="<!-- ljmm-test: $2" '
		!armed && index($0, m) == 1 {
			rest = substr($0, length(m) + 1)
			if (rest == "" || rest ~ /^( |-->)/) armed = 1
			next
		}
		armed && !inblock && /^```/ { inblock = 1; next }
		inblock && /^```/ { closed = 1; exit }
		inblock { print }
		END { exit !closed }' "$1"
}
