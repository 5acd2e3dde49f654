"""Command groups of the CLI; each module exposes `register(app)`."""

from chaosnet.commands import compose, doctor, down, images, scenario

COMMAND_MODULES = [scenario, doctor, images, compose, down]
