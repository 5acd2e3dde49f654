"""The parts of a run, each with one job; `chaosnet.runner` strings them together as phases.

schedule.py   which timeline event is due (pure: time and conditions come in as inputs)
network.py    what is up, down, cut or slowed, and applying actions through the Backend
settle.py     the end of a run: waiting for agreement, final state and final chains
results.py    metrics computed once from the journal, and results.json built from them
hooks.py      the no-op observers of a run (progress display), which can never break it
"""
