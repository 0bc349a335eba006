"""Storage: the fake's object store behind presigned URLs, and the media files in it.

Lives here: ``buckets`` (memory and directory buckets), ``store`` (presigned S3 PUT/GET and
CloudFront-style routes, S3 XML errors), ``media`` (reading and making media bytes with Pillow and
mutagen), ``pictures`` (photo-like result images), ``videos`` (result videos of a given size and length,
PyAV), ``uploads`` (upload keys, what arriving bytes tell a file record), ``links`` (result media
markers and the expiring URLs they become).
May import: engine. Must not import contract, callbacks, control, api, the facade or testing.
"""
