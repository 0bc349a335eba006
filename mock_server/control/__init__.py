"""Control: how tests and people steer a fake — faults, the request journal and the control API over HTTP.

Lives here: ``faults`` (forced codes, statuses, latency, dropped connections), ``journal`` (every
exchange), ``scenario`` (one document for a whole client run) and ``variants`` (answers reshaped as the
contract allows, or as APIs drift), ``routes`` and ``schema`` (the ``/_mock/`` routes and their input
checks), ``surface`` (the protocol of the Python control API those routes drive, which the facade implements).
May import: engine, storage, contract, callbacks. Must not import api, the facade or testing.
"""
