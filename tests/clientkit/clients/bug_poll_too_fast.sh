#!/usr/bin/env bash
# Planted bug (poll-too-fast): polls in a tight loop.
export POLL_INTERVAL=0
exec "$(dirname "$0")/kit_client.sh"
