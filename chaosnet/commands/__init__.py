"""Command groups of the CLI; each module exposes `register(app)`."""

from chaosnet.commands import compose, doctor, down, images, run, scenario

COMMAND_MODULES = [scenario, run, doctor, images, compose, down]
