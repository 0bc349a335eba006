#!/usr/bin/env bash
# Planted bug (timed-out): waits for success only, so a failed task is polled forever.
export SEES_FAILURE=0 MAX_POLLS=1000000
exec "$(dirname "$0")/kit_client.sh"
