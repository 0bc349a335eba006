"""The engine: tenants and their state, tasks and their declared lifecycle, the clock, Topview's errors.

Lives here: ``tasks`` (Task, Outcome, Progression), ``state`` (tenants, files, boards, credit ledger,
ids), ``credits`` (exact credit amounts), ``lifecycle`` (admission, progression on the clock, credits
settled at the end), ``clock`` (virtual time) and ``errors`` (Topview's codes and messages, raised by every layer).
May import: nothing else of mock_server. Imported by every other subpackage; it knows no HTTP.
"""
