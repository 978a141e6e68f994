"""The fast phone path must agree with phonenumbers on every input it accepts."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contactplan.io.phones import MOBILE_TYPES, PhoneError, _fast, to_e164
from suite import examples


def _full(raw: str, region: str):
    try:
        n = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(n):
        return None
    return phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164), phonenumbers.number_type(n) in MOBILE_TYPES


digits = st.text("0123456789", min_size=8, max_size=13)
shapes = st.sampled_from(["{d}", "+{d}", "+55{d}", "+1{d}", "0{d}", "({a}) {b}-{c}", "{a} {b} {c}", "1-{a}-{b}-{c}",
                          "+55 ({a}) {b}-{c}", "0xx{a} {b}-{c}", "{a}.{b}.{c}"])


@settings(max_examples=examples(3000), deadline=None)
@given(shapes, digits, st.sampled_from(["BR", "US"]))
def test_fast_path_agrees_with_phonenumbers(shape, d, region):
    raw = shape.format(d=d, a=d[:2] if region == "BR" else d[:3], b=d[2:7] if region == "BR" else d[3:6],
                       c=d[7:] if region == "BR" else d[6:])
    fast = _fast(raw, region)
    if fast is not None:
        assert _full(raw, region) == fast[:2], raw


@pytest.mark.parametrize("raw", ["(11) 98765-4321", "11 98765-4321", "011 98765-4321", "+55 (11) 98765-4321",
                                 "(11) 3333-4444", "11987654321", "+5511987654321", "(68) 99912-3456"])
def test_brazilian_shapes_take_the_fast_path(raw):
    assert _fast(raw, "BR") is not None
    assert to_e164(raw, "BR")[:2] == _full(raw, "BR")


@pytest.mark.parametrize("raw", ["0xx11 98765-4321", "55 11 98765-4321", "0 21 11 98765-4321"])
def test_other_shapes_fall_back_and_agree(raw):
    assert _fast(raw, "BR") is None
    assert to_e164(raw, "BR")[:2] == _full(raw, "BR")


@pytest.mark.parametrize("raw", ["98765-4321", "12", "abc", "(00) 98765-4321"])
def test_invalid_numbers_raise(raw):
    with pytest.raises(PhoneError):
        to_e164(raw, "BR")
