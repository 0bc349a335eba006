"""``python -m mock_server``: the ``topview-mock`` command."""

from .cli import main

raise SystemExit(main())
