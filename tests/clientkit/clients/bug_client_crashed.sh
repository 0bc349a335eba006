#!/usr/bin/env bash
# Planted bug (client-crashed): reads every answer's result with python3, trusting it to be there, so an error
# envelope (its result null) ends in a Python traceback.
export PARSE_WITH=python3
exec "$(dirname "$0")/kit_client.sh"
