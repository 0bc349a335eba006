#!/usr/bin/env bash
# Planted bug (unchecked-upload): submits the fileId without /v1/upload/check.
export CHECK_UPLOAD=0
exec "$(dirname "$0")/kit_client.sh"
