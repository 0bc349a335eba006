"""Dashboard: a page at ``/_mock/ui`` to watch and steer a running fake, built only on the control API.

Lives here: ``routes`` (the page, rendered from a Jinja2 template, and its script and stylesheet, served
from the package so the page works offline), ``templates/`` and ``static/``. The page reads and changes the
fake only through the ``/_mock/`` control routes, polling them while it is open.
May import: control (its URL prefix). Must not import api, the facade, testing or recording; the facade
adds its routes to the app.
"""
