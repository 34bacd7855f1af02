#!/usr/bin/env bash
# Runs the outside conformance checks against one kitep binary:
#   tests/conformance/run_all.sh target/release/kitep
# Starts `kitep serve` on a fresh data folder at a free loopback port, waits for /health, runs
# opds_check.py, ace_check.py, api_check.py and html_check.py (each with its time), stops the
# portal and exits 1 if any check failed. Installs nothing: see tests/conformance/README.md.
# Environment: KITEP_SCHEMAS (default ../shared/reference/schemas beside the checkout),
# KITEP_CONFORMANCE_KEEP=1 keeps the temporary folder (portal data and log).
set -uo pipefail

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  echo "usage: $0 KITEP_BINARY" >&2
  exit 2
fi
KITEP=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SCHEMAS=${KITEP_SCHEMAS:-$(realpath -m "$REPO/../shared/reference/schemas")}
if [ ! -d "$SCHEMAS/opds2" ]; then
  echo "no schemas at $SCHEMAS (set KITEP_SCHEMAS)" >&2
  exit 2
fi

TMP=$(mktemp -d /tmp/kitep-conformance.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
BASE="http://127.0.0.1:$PORT"
PORTAL_PID=""

cleanup() {
  if [ -n "$PORTAL_PID" ] && kill -0 "$PORTAL_PID" 2>/dev/null; then
    kill "$PORTAL_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$PORTAL_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$PORTAL_PID" 2>/dev/null || true
  fi
  if [ "${KITEP_CONFORMANCE_KEEP:-}" = "1" ]; then
    echo "kept $TMP"
  else
    rm -rf "$TMP"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== portal: $KITEP serve at $BASE (data $TMP/data)"
start=$SECONDS
"$KITEP" serve --data "$TMP/data" --addr "127.0.0.1:$PORT" >"$TMP/portal.log" 2>&1 &
PORTAL_PID=$!
ready=0
for _ in $(seq 1 360); do
  if ! kill -0 "$PORTAL_PID" 2>/dev/null; then break; fi
  if curl -sf "$BASE/health" >/dev/null 2>&1; then ready=1; break; fi
  sleep 0.5
done
if [ "$ready" -ne 1 ]; then
  echo "FAIL the portal did not answer /health within 180 s; its log:"
  tail -40 "$TMP/portal.log"
  exit 1
fi
echo "   ready in $((SECONDS - start)) s: $(curl -s "$BASE/health")"

declare -a NAMES=() RESULTS=() TIMES=() SUMMARIES=()
run() {
  local name=$1 limit=$2
  shift 2
  echo
  echo "== $name"
  local t0=$SECONDS rc
  timeout --kill-after=10 "$limit" "$@" 2>&1 | tee "$TMP/$name.log"
  rc=${PIPESTATUS[0]}
  local took=$((SECONDS - t0))
  [ "$rc" -eq 124 ] && echo "FAIL $name: killed after $limit s"
  NAMES+=("$name"); RESULTS+=("$rc"); TIMES+=("$took")
  SUMMARIES+=("$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$TMP/$name.log" | tail -1)")
  echo "== $name: exit $rc in ${took} s"
}

run opds 180 python3 "$HERE/opds_check.py" --base "$BASE" --schemas "$SCHEMAS"
run ace 300 python3 "$HERE/ace_check.py" --kitep "$KITEP"
run api 300 python3 "$HERE/api_check.py" --base "$BASE"
run html 180 python3 "$HERE/html_check.py" --base "$BASE"

if ! kill -0 "$PORTAL_PID" 2>/dev/null; then
  echo "FAIL the portal exited during the checks; its log:"
  tail -40 "$TMP/portal.log"
  RESULTS+=(1)
fi

echo
echo "== summary"
failed=0
for i in "${!NAMES[@]}"; do
  status=ok; [ "${RESULTS[$i]}" -ne 0 ] && { status=FAIL; failed=1; }
  printf '%-4s %-5s %4s s  %s\n' "$status" "${NAMES[$i]}" "${TIMES[$i]}" "${SUMMARIES[$i]:-no summary line}"
done
for r in "${RESULTS[@]}"; do [ "$r" -ne 0 ] && failed=1; done
exit "$failed"
