"""Observation of a running network: polling nodes, and the measurements derived from it."""
