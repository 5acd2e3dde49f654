"""Peer bookkeeping: ban scores add up to a ban, and a flood of fresh identities stays bounded."""

from reference_node.p2p.peers import BAN_SECONDS, BAN_THRESHOLD, MAX_SCORED, PeerTable


def test_scores_add_up_to_a_ban_that_expires():
    table = PeerTable("me", "127.0.0.1:1", {})
    assert not table.penalize("bad", BAN_THRESHOLD - 1, now=0.0)
    assert table.penalize("bad", 1, now=0.0)
    assert table.is_banned("bad", now=1.0)
    assert not table.is_banned("bad", now=BAN_SECONDS + 1)
    assert not table.penalize("me", 1000, now=0.0)


def test_a_flood_of_fresh_identities_does_not_grow_the_tables_forever():
    table = PeerTable("me", "127.0.0.1:1", {})
    table.penalize("early", BAN_THRESHOLD, now=0.0)
    for i in range(3 * MAX_SCORED):
        table.penalize(f"fresh-{i}", BAN_THRESHOLD, now=10.0)
    assert len(table.scores) <= MAX_SCORED and len(table.banned) <= MAX_SCORED
    last = f"fresh-{3 * MAX_SCORED - 1}"
    assert table.is_banned(last, now=11.0)  # the newest bans hold


def test_expired_bans_make_room_before_live_ones():
    table = PeerTable("me", "127.0.0.1:1", {})
    for i in range(MAX_SCORED - 1):
        table.penalize(f"old-{i}", BAN_THRESHOLD, now=0.0)
    table.penalize("live", BAN_THRESHOLD, now=BAN_SECONDS - 1)
    table.penalize("new", BAN_THRESHOLD, now=BAN_SECONDS + 1)
    assert table.is_banned("live", now=BAN_SECONDS + 2)
    assert table.is_banned("new", now=BAN_SECONDS + 2)
    assert "old-0" not in table.scores
