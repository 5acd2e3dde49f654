"""Command groups of the CLI; each module exposes `register(app)`."""

from chaosnet.commands import compose, doctor, down, explore, images, report, run, scenario, sweep

COMMAND_MODULES = [scenario, run, sweep, explore, report, doctor, images, compose, down]
