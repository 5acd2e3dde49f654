"""Scenario language: the YAML users write, validated, then typed (`model.py`)."""
