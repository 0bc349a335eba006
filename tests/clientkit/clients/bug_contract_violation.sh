#!/usr/bin/env bash
# Planted bug (contract-violation): asks for a format the API does not take first, then falls back to png.
export TRY_FORMAT=heic
exec "$(dirname "$0")/kit_client.sh"
