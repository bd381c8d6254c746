"""What the main window shows: ``screens`` (one per navigation entry), the ``unit`` page,
the form ``dialogs`` and the ``visit`` form with its parts."""
