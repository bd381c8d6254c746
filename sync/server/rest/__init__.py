"""The REST API for integrations: fleet, work records, people, conflicts (``/api/v1``).

Writes run the same use cases as the desktop app (``app.services``) and become events signed
by the server's device; reads come from the projections. Another organization's ids answer
404 (row-level security never shows them).
"""
