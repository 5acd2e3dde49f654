"""Personas: how a node deviates from the protocol. `honest` is the reference behaviour.

A persona is consulted at every decision a byzantine node could take differently: what to mine on,
whether to publish a block it mined, what to relay to whom. Attackers (selfish miner, eclipse,
double spender, ...) subclass `Persona` and register in PERSONAS.
"""

from __future__ import annotations

from .base import Persona, PersonaError

PERSONAS: dict[str, type[Persona]] = {"honest": Persona}


def make_persona(name: str, args: dict[str, str]) -> Persona:
    """The persona called `name`; PersonaError names the known ones otherwise."""
    cls = PERSONAS.get(name)
    if cls is None:
        raise PersonaError(
            f"unknown persona {name!r}; known personas: {', '.join(sorted(PERSONAS))}"
        )
    return cls(args)


__all__ = ["PERSONAS", "Persona", "PersonaError", "make_persona"]
