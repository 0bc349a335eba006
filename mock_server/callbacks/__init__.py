"""Callbacks: what happens to a finished task's notice, from its payload to its last delivery attempt.

Read in this order: ``payloads`` (the notice body and the result it reports), ``policy`` (which URLs,
retries, backoff, testing aids), ``dispatcher`` (queue, retry schedule on the clock, journal),
``sender`` (one HTTP POST and its acknowledgement; ``receivers`` the same exchange with an ASGI app in
process), ``records`` (deliveries and attempts as journalled).
May import: engine. Must not import contract, control, api, the facade or testing.
"""
