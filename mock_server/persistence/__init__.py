"""Persistence: a fake's state kept in a data directory (``--data-dir``), so it survives a crash.

Lives here: ``data_dir`` (what is restored on start, what is written down before every answer, and the
ASGI middleware that does it), ``database`` (the SQLite file: records, credit movements, named values)
and ``codec`` (records as JSON and back).
May import: engine, storage, callbacks. Must not import contract, control, api, the facade or testing.
An in-memory fake never touches it: its cost is one ``is None`` test where state changes.
"""
