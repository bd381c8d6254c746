"""Sync in the desktop app: the indicator, sign-in, the Sync page and what changed offline."""
