"""Errors a user can act on.

ChaosnetError                 root: the CLI prints the message and exits 2
├── ScenarioError             the scenario file is invalid (carries located messages)
├── BackendError              a backend cannot do what was asked (engine down, binary missing)
│   └── HarnessFault          the harness itself misbehaved (a hung Toxiproxy call, a lost child)
└── UsageError                flags that contradict each other, a run dir that does not exist

Whatever a backend raises while the runner applies a timeline action is relabelled HarnessFault
(`chaosnet.run.network`), naming the action: it ends the run with the verdict `error`, never
`fail`, because a fault that did not happen says nothing about the network under test.
"""

from __future__ import annotations


class ChaosnetError(Exception):
    """Root of every error chaosnet reports to users."""


class ScenarioError(ChaosnetError):
    """An invalid scenario; `messages` holds every `file:line:col: message` found."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


class BackendError(ChaosnetError):
    """A backend cannot do what was asked; the message says what would fix it."""


class HarnessFault(BackendError):
    """The harness misbehaved (not the system under test): a hung API call, a lost child process."""


class UsageError(ChaosnetError):
    """Command-line usage that cannot work."""
