"""What the report says about attackers: each one's share of the final chain against its share of
the hashrate, what its persona reported about itself (`persona_stats` in its samples, shown as
they are, whatever the persona), and the assertions about attacks."""

from __future__ import annotations

from typing import Any

from chaosnet.report import series
from chaosnet.report.context import RunContext

ATTACK_ASSERTIONS = {"attacker_share", "double_spend", "no_invalid_blocks"}


def attacker_names(nodes: dict[str, Any], context: RunContext | None) -> set[str]:
    """Nodes results.json calls attackers, and every node the plan gives a persona."""
    named = {n for n, v in nodes.items() if v.get("role") == "attacker"}
    if context:
        named |= {n.name for n in context.plan.nodes if n.persona}
    return named


def chain_shares(records: list[dict[str, Any]], context: RunContext | None) -> dict[str, float]:
    chain = series.main_chain(records)
    if not chain:
        return {}
    names = context.miner_names if context else {}
    counts: dict[str, int] = {}
    for block in chain:
        miner = str(block.get("miner", ""))
        who = names.get(miner, miner[:12])
        counts[who] = counts.get(who, 0) + 1
    return {who: n / len(chain) for who, n in counts.items()}


def hashrate_shares(context: RunContext | None) -> dict[str, float]:
    """Each miner's share of the total hashrate (the scenario may not sum to 1)."""
    hashrates = context.hashrates if context else {}
    total = sum(hashrates.values())
    return {n: h / total for n, h in hashrates.items()} if total else hashrates


def attack_view(
    records: list[dict[str, Any]],
    results: dict[str, Any],
    context: RunContext | None,
    attackers: set[str],
) -> dict[str, Any] | None:
    if not attackers:
        return None
    shares = chain_shares(records, context)
    hashrates = hashrate_shares(context)
    personas = {n.name: n.persona for n in context.plan.nodes if n.persona} if context else {}
    persona_stats: dict[str, dict[str, Any]] = {}
    for r in records:
        if (
            r["kind"] == "sample"
            and r.get("node") in attackers
            and isinstance(r.get("persona"), dict)
        ):
            persona_stats[str(r["node"])] = r["persona"]
    return {
        "attackers": [
            {
                "name": n,
                "persona": personas.get(n),
                "hashrate": hashrates.get(n),
                "share": shares.get(n),
                "stats": persona_stats.get(n, {}),
            }
            for n in sorted(attackers)
        ],
        "assertions": [
            a for a in results.get("assertions") or [] if a.get("kind") in ATTACK_ASSERTIONS
        ],
    }
