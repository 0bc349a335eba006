#!/usr/bin/env bash
# Planted bug (polled-after-terminal): queries the finished task once more "to be sure".
export CONFIRM_DONE=1
exec "$(dirname "$0")/kit_client.sh"
