"""The HTTP surface: the Starlette app, routing, the request pipeline and the Topview operations' handlers.

Lives here: ``app`` (routes from the contract; route → validate → rules → handler → render → envelope
→ journal), ``routing``, ``call`` (one validated request), ``backend`` (the parts of one fake and what
a request does to them), ``handlers`` (one per kind of endpoint), ``account`` and ``boards``.
May import: engine, storage, contract, callbacks, control, config. Must not import the facade or testing.
"""
