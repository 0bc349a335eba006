#!/usr/bin/env bash
# A careful Topview client in shell with curl: upload an image, remove its background, wait, download.
# The correct shell client of the kit's catalog; each bug_*.sh beside it turns one knob and runs this.
# Pacing: POLL_INTERVAL and BACKOFF (seconds; each retry waits 3x the one before), RETRIES, MAX_POLLS.
# The planted bugs: CHECK_UPLOAD=0, PUT_HEADERS=..., ON_FAILURE=ignore, RETRY_REFUSALS=1, SEES_FAILURE=0,
# CONFIRM_DONE=1, TRY_FORMAT=heic, PARSE_WITH=python3.
# It forks little (no sed, awk or tr; answers are read with bash's own pattern matching): every example
# of the kit runs it once.
set -u
POLL_INTERVAL=${POLL_INTERVAL:-0.02}
BACKOFF=${BACKOFF:-0.1}
RETRIES=${RETRIES:-2}
MAX_POLLS=${MAX_POLLS:-40}
CHECK_UPLOAD=${CHECK_UPLOAD:-1}
PUT_HEADERS=${PUT_HEADERS:-}
ON_FAILURE=${ON_FAILURE:-exit}
RETRY_REFUSALS=${RETRY_REFUSALS:-0}
SEES_FAILURE=${SEES_FAILURE:-1}
CONFIRM_DONE=${CONFIRM_DONE:-0}
TRY_FORMAT=${TRY_FORMAT:-}
PARSE_WITH=${PARSE_WITH:-}
PNG=iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAFElEQVR4nGM8UaHBgA0wYRUdtBIAHicBeAYWg8oAAAAASUVORK5CYII=

fail() {
  if [ "$ON_FAILURE" = ignore ]; then echo "done"; exit 0; fi # the planted swallowed-error bug: the reason is lost
  echo "error: $*" >&2
  exit 1
}

field() { # NAME TEXT: the first "name":"value" (or "name":value) of a JSON text, in $value
  local pattern="\"$1\":\"?([^\",}]*)"
  value=
  if [[ $2 =~ $pattern ]]; then value=${BASH_REMATCH[1]}; fi
}

result_field() { # NAME ENVELOPE: a field of the envelope's result, in $value
  if [ -n "$PARSE_WITH" ]; then # the planted client-crashed bug: trusts every answer to carry a result
    value=$("$PARSE_WITH" -c 'import json, sys; print(json.loads(sys.argv[2])["result"][sys.argv[1]])' "$1" "$2")
  else
    field "$1" "$2"
  fi
}

seconds() { # MILLISECONDS: the same in seconds, in $value
  printf -v value '%d.%03d' $(($1 / 1000)) $(($1 % 1000))
}

call() { # METHOD PATH [JSON]: the envelope of a successful call in $reply (else the reason, and status 1)
  local attempt=0 out http code wait
  printf -v wait '%.0f' "${BACKOFF}e3" # milliseconds
  while :; do
    out=$(curl -sS -X "$1" -H "Topview-Uid: $TOPVIEW_UID" -H "Authorization: Bearer $TOPVIEW_API_KEY" \
      -H 'Content-Type: application/json' ${3:+--data "$3"} -w '\n%{http_code}' "$TOPVIEW_BASE_URL$2")
    http=${out##*$'\n'}
    reply=${out%$'\n'*}
    field code "$reply"
    code=$value
    if [ "$code" = 200 ] || { [ -n "$PARSE_WITH" ] && [ "$http" = 200 ]; }; then return 0; fi
    case "$code" in
      5000 | 5001 | 5003 | 5004 | 5005 | "") ;; # transient: busy, internal, dropped connection, gateway page
      *)
        if [ "$RETRY_REFUSALS" != 1 ]; then # the planted retried-client-error bug retries refusals too
          field message "$reply"
          reply="$2 answered $code: $value"
          return 1
        fi
        ;;
    esac
    if [ "$attempt" -ge "$RETRIES" ]; then
      reply="$2 failed after $RETRIES retries: ${code:-HTTP $http}"
      return 1
    fi
    seconds "$wait"
    sleep "$value"
    wait=$((wait * 3)) # 0.1 s, then 0.3 s
    attempt=$((attempt + 1))
  done
}

if [ -n "$TRY_FORMAT" ]; then # the planted contract-violation bug: a format the API does not take, first
  call GET "/v1/upload/credential?format=$TRY_FORMAT" || true
fi
call GET "/v1/upload/credential?format=png" || fail "$reply"
result_field fileId "$reply" || exit 1 # a crash of the parser ends it
file_id=$value
result_field uploadUrl "$reply" || exit 1
upload_url=$value
status=$(base64 -d <<<"$PNG" | curl -sS -o /dev/null -w '%{http_code}' -X PUT --data-binary @- \
  ${PUT_HEADERS:+-H "$PUT_HEADERS"} "$upload_url")
[ "$status" = 200 ] || fail "the upload was refused ($status)"
if [ "$CHECK_UPLOAD" = 1 ]; then
  for ((i = 0; i < MAX_POLLS; i++)); do
    call GET "/v1/upload/check?fileId=$file_id" || fail "$reply"
    [[ $reply == *'"result":true'* ]] && break
    sleep "$POLL_INTERVAL"
  done
fi
call POST /v1/common_task/remove_background/submit "{\"productImageFileId\":\"$file_id\"}" || fail "$reply"
result_field taskId "$reply" || exit 1
task_id=$value
for ((i = 0; i < MAX_POLLS; i++)); do
  call GET "/v1/common_task/remove_background/query?taskId=$task_id" || fail "$reply"
  field status "$reply"
  status=${value,,}
  if [ "$SEES_FAILURE" != 1 ] && [[ $status == fail* ]]; then status=running; fi # the planted timed-out bug
  case "$status" in
    success | succeeded)
      if [ "$CONFIRM_DONE" = 1 ]; then # the planted polled-after-terminal bug: asks once more "to be sure"
        sleep "$POLL_INTERVAL"
        call GET "/v1/common_task/remove_background/query?taskId=$task_id" || fail "$reply"
      fi
      field bgRemovedImagePath "$reply"
      if [ -n "$value" ] && [ "$value" != null ]; then
        got=$(curl -sS -o /dev/null -w '%{http_code}' "$value")
        [ "$got" = 200 ] || fail "download answered HTTP $got"
      fi
      echo "done"
      exit 0
      ;;
    fail | failed) fail "task $task_id failed: $(field errorMsg "$reply" && echo "$value")" ;;
  esac
  sleep "$POLL_INTERVAL"
done
fail "task $task_id did not finish"
