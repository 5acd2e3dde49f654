"""Command groups of the CLI; each module exposes `register(app)`."""

from chaosnet.commands import doctor

COMMAND_MODULES = [doctor]
