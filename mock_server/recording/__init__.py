"""Record, replay and drift: real Topview traffic as VCR cassettes, served back anywhere, checked for drift.

Lives here: ``cassettes`` (the VCR YAML format, version 1, that vcrpy and pytest-recording read),
``normalise`` and ``redaction`` (stable ids and times; secrets removed, and a scan that refuses to write
a cassette a secret survived in), ``passage`` (links rewritten to pass through a local server),
``proxy`` and ``budget`` (the recording reverse proxy), ``replay`` (answers from cassettes), ``drift``,
``contract_pass`` and ``fake_pass`` (recorded answers against the contract and an in-process fake),
``flows`` (the main flows a client runs), ``commands`` (the CLI) and ``pytest_replay`` (a fixture).
An entry point like ``testing``: it may import the facade and everything below it (engine, storage,
contract, control, callbacks, config, api, mock, testing). Only ``cli`` imports it.
"""
