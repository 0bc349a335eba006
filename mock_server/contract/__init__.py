"""The contract: what Topview's API looks like, loaded from ``contracts/`` and compiled once.

Lives here: ``openapi`` (the OpenAPI document as operations), ``json_text`` (JSON text as Topview's
backend can hold it), ``validation`` (compiled coercing validators), ``rules`` and ``media_rules``
(cross-field and media rules), ``models`` (the model catalogue rules), ``groups`` (the group table),
``pricing``, ``catalogues`` and ``lookups`` (seeded lists and referenced ids), ``results`` and
``outputs`` (result bodies: what a finished task produces), ``vocabulary`` (the fixed words of result
fields), ``result_media`` (sizes, picture looks and lengths results report), ``aliases`` (fields
served under a second name).
May import: engine, storage. Must not import callbacks, control, api, the facade or testing.
"""
