#!/usr/bin/env bash
# Planted bug (swallowed-error): reports every failure as done and exits 0.
export ON_FAILURE=ignore
exec "$(dirname "$0")/kit_client.sh"
