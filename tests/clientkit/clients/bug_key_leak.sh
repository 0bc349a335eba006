#!/usr/bin/env bash
# Planted bug (key-leak): sends the API key to the presigned upload URL.
export PUT_HEADERS="Authorization: Bearer $TOPVIEW_API_KEY"
exec "$(dirname "$0")/kit_client.sh"
