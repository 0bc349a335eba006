#!/usr/bin/env bash
# Planted bug (retry-storm): retries transient errors at once, twenty times.
export BACKOFF=0 RETRIES=20
exec "$(dirname "$0")/kit_client.sh"
