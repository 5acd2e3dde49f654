"""Command groups of the CLI; each module exposes `register(app)`."""

from chaosnet.commands import compose, doctor, down, images

COMMAND_MODULES = [doctor, images, compose, down]
