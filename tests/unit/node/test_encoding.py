"""Reading JSON bodies: whole numbers are integers however spelt, exactly; nothing else changes."""

import pytest

from reference_node.core.encoding import loads
from reference_node.core.errors import DecodeError
from reference_node.core.keys import account_address, account_key
from reference_node.core.tx import Transaction, make_transfer


def test_a_whole_number_is_an_integer_whatever_its_spelling():
    assert loads("[2, 2.0, 2e0, 20e-1, -0.0]") == [2, 2, 2, 2, 0]
    assert all(type(v) is int for v in loads("[2.0, 2e0, 9007199254740993.0]"))
    assert loads("9007199254740993.0") == 2**53 + 1  # exact, not rounded through a float


def test_fractions_and_absurd_exponents_stay_floats_without_building_huge_integers():
    assert loads("[1.5, 1e-5]") == [1.5, 1e-5]
    assert loads("1e400") == float("inf") and loads("-1e99999999999999999999") == float("-inf")
    assert loads("1" + "0" * 5000 + ".0") == float("inf")


def test_a_transaction_spelt_with_whole_floats_is_the_same_transaction():
    tx = make_transfer(account_key(0), account_address(1), amount=10, fee=1, nonce=3)
    text = (
        f'{{"sender": "{tx.sender}", "recipient": "{tx.recipient}", "amount": 10.0, '
        f'"fee": 1e0, "nonce": 3.0, "signature": "{tx.signature}"}}'
    )
    assert Transaction.from_json(loads(text)) == tx


def test_not_json_is_a_decode_error():
    with pytest.raises(DecodeError):
        loads(b"\xff{")
