"""Backends run nodes and apply faults behind one protocol (`base.Backend`)."""
