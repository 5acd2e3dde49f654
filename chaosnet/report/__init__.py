"""Renderings of one run's journal and results: terminal (rich), JSON."""
