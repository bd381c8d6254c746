"""The form dialogs: log or close a callback, schedule a visit, change a status, pick a profile."""
