import pytest

from reference_node.core.errors import DecodeError, InvalidTx
from reference_node.core.keys import account_address, account_key, address_of
from reference_node.core.tx import Transaction, make_transfer


def test_genesis_account_keys_are_deterministic_and_distinct():
    assert account_address(0) == address_of(account_key(0))
    assert account_address(0) != account_address(1)
    assert len(account_address(3)) == 64


def test_signed_transfer_round_trips_and_verifies():
    tx = make_transfer(account_key(0), account_address(1), 10, 2, 0)
    again = Transaction.from_json(tx.to_json())
    assert again == tx and again.txid == tx.txid
    again.check_signature()


def test_tampered_amount_breaks_the_signature():
    tx = make_transfer(account_key(0), account_address(1), 10, 2, 0)
    forged = Transaction.from_json({**tx.to_json(), "amount": 11})
    with pytest.raises(InvalidTx, match="bad-signature"):
        forged.check_signature()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"extra": 1}, "unknown field"),
        ({"amount": "10"}, "must be an integer"),
        ({"amount": True}, "must be an integer"),
        ({"amount": -1}, "between 0"),
        ({"nonce": 2**63}, "between 0"),
        ({"sender": "XYZ"}, "lowercase hex"),
        ({"signature": "ab"}, "lowercase hex"),
    ],
)
def test_from_json_rejects_bad_shapes_with_clear_errors(change, message):
    good = make_transfer(account_key(0), account_address(1), 10, 2, 0).to_json()
    with pytest.raises(DecodeError, match=message) as info:
        Transaction.from_json({**good, **change})
    assert isinstance(info.value, ValueError)


def test_missing_field_and_non_object_are_rejected():
    good = make_transfer(account_key(0), account_address(1), 10, 2, 0).to_json()
    del good["fee"]
    with pytest.raises(DecodeError, match="missing"):
        Transaction.from_json(good)
    with pytest.raises(DecodeError, match="JSON object"):
        Transaction.from_json([1, 2])


def test_a_coinbase_cannot_be_submitted_as_a_transfer():
    coinbase = Transaction.from_json(
        {
            "sender": "00" * 32,
            "recipient": "11" * 32,
            "amount": 5,
            "fee": 0,
            "nonce": 1,
            "signature": "",
        }
    )
    with pytest.raises(InvalidTx, match="coinbase"):
        coinbase.check_signature()
