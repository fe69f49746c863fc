"""The committee's web view: read-only pages served by chibo's HTTP server (see ``routes``)."""
