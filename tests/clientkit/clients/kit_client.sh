#!/usr/bin/env bash
# A careful Topview client in shell with curl: upload an image, remove its background, wait, download.
# The correct shell client of the kit's catalog; each bug_*.sh beside it changes one knob and runs this.
# Knobs: POLL_INTERVAL, BACKOFF (seconds), RETRIES, CHECK_UPLOAD (1), PUT_HEADERS (""), ON_FAILURE (exit).
set -u
POLL_INTERVAL=${POLL_INTERVAL:-0.05}
BACKOFF=${BACKOFF:-0.2}
RETRIES=${RETRIES:-2}
CHECK_UPLOAD=${CHECK_UPLOAD:-1}
PUT_HEADERS=${PUT_HEADERS:-}
ON_FAILURE=${ON_FAILURE:-exit}
PNG=iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAFElEQVR4nGM8UaHBgA0wYRUdtBIAHicBeAYWg8oAAAAASUVORK5CYII=

fail() {
  if [ "$ON_FAILURE" = ignore ]; then echo "done"; exit 0; fi  # the planted swallowed-error bug: the reason is lost
  echo "error: $*" >&2
  exit 1
}

field() {  # the first "name":"value" (or "name":value) of a JSON text
  sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p" <<<"$2" | head -n 1
}

call() {  # METHOD PATH [JSON]: the envelope of a successful call on stdout; retries transient errors
  local attempt=0 wait=$BACKOFF out http body code
  while :; do
    out=$(curl -sS -X "$1" -H "Topview-Uid: $TOPVIEW_UID" -H "Authorization: Bearer $TOPVIEW_API_KEY" \
      -H 'Content-Type: application/json' ${3:+--data "$3"} -w '\n%{http_code}' "$TOPVIEW_BASE_URL$2")
    http=${out##*$'\n'}
    body=${out%$'\n'*}
    code=$(field code "$body")
    if [ "$code" = 200 ]; then printf '%s' "$body"; return 0; fi
    case "$code" in
      5000|5001|5003|5004|5005|"") ;;  # transient: busy, internal, dropped connection, gateway page
      *) echo "$2 answered $code: $(field message "$body")"; return 1 ;;
    esac
    if [ "$attempt" -ge "$RETRIES" ]; then echo "$2 failed after $RETRIES retries: ${code:-HTTP $http}"; return 1; fi
    sleep "$wait"
    wait=$(awk "BEGIN { print $wait * 3 }")  # 0.2 s, then 0.6 s: growth no noise hides
    attempt=$((attempt + 1))
  done
}

credential=$(call GET "/v1/upload/credential?format=png") || fail "$credential"
file_id=$(field fileId "$credential")
upload_url=$(field uploadUrl "$credential")
image=$(mktemp)
trap 'rm -f "$image"' EXIT
base64 -d <<<"$PNG" >"$image"
status=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT --data-binary "@$image" ${PUT_HEADERS:+-H "$PUT_HEADERS"} "$upload_url")
[ "$status" = 200 ] || fail "the upload was refused ($status)"
if [ "$CHECK_UPLOAD" = 1 ]; then
  for _ in $(seq 40); do
    checked=$(call GET "/v1/upload/check?fileId=$file_id") || fail "$checked"
    [[ $checked == *'"result":true'* ]] && break
    sleep "$POLL_INTERVAL"
  done
fi
submitted=$(call POST /v1/common_task/remove_background/submit "{\"productImageFileId\":\"$file_id\"}") || fail "$submitted"
task_id=$(field taskId "$submitted")
for _ in $(seq 40); do
  queried=$(call GET "/v1/common_task/remove_background/query?taskId=$task_id") || fail "$queried"
  status=$(field status "$queried" | tr '[:upper:]' '[:lower:]')
  case "$status" in
    success|succeeded)
      url=$(field bgRemovedImagePath "$queried")
      if [ -n "$url" ] && [ "$url" != null ]; then
        got=$(curl -sS -o /dev/null -w '%{http_code}' "$url")
        [ "$got" = 200 ] || fail "download answered HTTP $got"
      fi
      echo "done"
      exit 0 ;;
    fail|failed) fail "task $task_id failed: $(field errorMsg "$queried")" ;;
  esac
  sleep "$POLL_INTERVAL"
done
fail "task $task_id did not finish"
