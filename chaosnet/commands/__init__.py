"""Command groups of the CLI; each module exposes `register(app)`."""

from chaosnet.commands import compose, doctor, down, images, report, run, scenario

COMMAND_MODULES = [scenario, run, report, doctor, images, compose, down]
