"""The screens of the main window's navigation (one module each), and what they share."""
