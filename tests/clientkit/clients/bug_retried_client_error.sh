#!/usr/bin/env bash
# Planted bug (retried-client-error): retries every refusal, 4000-4006 and 4100 included.
export RETRY_REFUSALS=1
exec "$(dirname "$0")/kit_client.sh"
