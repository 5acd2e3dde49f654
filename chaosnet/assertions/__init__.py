"""Assertions evaluated from a run's measurements."""
