"""The error an administration command stops with (the message says why and what to do)."""


class CommandError(Exception):
    """A command cannot go on; the message says why and what to do."""
