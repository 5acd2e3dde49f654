"""Personas: how a node deviates from the protocol. `honest` is the reference behaviour.

A persona is consulted at every decision a byzantine node could take differently: what to mine on,
whether to publish a block it mined, what to relay to whom, and it may run an attack loop of its
own. Each attacker is one module; the names below are a contract (scenario `attackers: [{persona}]`).
"""

from __future__ import annotations

from .base import Persona, PersonaError
from .dormant import Dormant
from .double_spend import DoubleSpend
from .eclipse import Eclipse
from .invalid_blocks import InvalidBlocks
from .invalid_txs import InvalidTxs
from .majority_reorg import MajorityReorg
from .selfish import Selfish
from .sybil import Sybil

PERSONAS: dict[str, type[Persona]] = {
    cls.name: cls
    for cls in (
        Persona,
        InvalidBlocks,
        InvalidTxs,
        Selfish,
        DoubleSpend,
        MajorityReorg,
        Sybil,
        Eclipse,
    )
}


def make_persona(name: str, args: dict[str, str], dormant: bool = False) -> Persona:
    """The persona called `name`, honest until activated when `dormant`; PersonaError names the
    known ones otherwise."""
    cls = PERSONAS.get(name)
    if cls is None:
        raise PersonaError(
            f"unknown persona {name!r}; known personas: {', '.join(sorted(PERSONAS))}"
        )
    return Dormant(cls(args)) if dormant else cls(args)


__all__ = ["PERSONAS", "Dormant", "Persona", "PersonaError", "make_persona"]
