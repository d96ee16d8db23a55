"""Quantities parse, compare and print the way Kubernetes' resource.Quantity does."""

import pytest

from kubelite.api.quantity import FORMAT_ERROR, SUFFIX_ERROR, Format, Quantity, QuantityError, canonical


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100m", "100m"),
        ("0.5", "500m"),
        ("1", "1"),
        ("1000", "1k"),
        ("1500", "1500"),
        ("1Gi", "1Gi"),
        ("1024Mi", "1Gi"),
        ("1.5Gi", "1536Mi"),
        ("1000Mi", "1000Mi"),
        ("0.5Gi", "512Mi"),
        ("512", "512"),
        ("1e3", "1e3"),
        ("1E3", "1e3"),
        ("1E", "1E"),
        ("5e-3", "5e-3"),
        ("0.0001", "100u"),
        ("1.1Ki", "1126400m"),
        ("-1", "-1"),
        ("0", "0"),
        ("0Mi", "0"),
        ("1200000", "1200k"),
    ],
)
def test_canonical_form_matches_kubernetes(text, expected):
    assert str(Quantity.parse(text)) == expected


def test_numbers_from_json_parse_like_strings():
    assert str(Quantity.parse(2)) == "2"
    assert str(Quantity.parse(0.25)) == "250m"


@pytest.mark.parametrize("text", ["", "abc", "1..2", "1 Gi", "Gi", "--1"])
def test_malformed_quantities_are_refused_with_kubernetes_wording(text):
    with pytest.raises(QuantityError):
        Quantity.parse(text)


def test_unknown_suffix_names_the_suffix_problem():
    with pytest.raises(QuantityError, match="suffix") as err:
        Quantity.parse("1K")
    assert str(err.value) == SUFFIX_ERROR


def test_format_error_quotes_the_regular_expression():
    with pytest.raises(QuantityError) as err:
        Quantity.parse("abc")
    assert str(err.value) == FORMAT_ERROR


def test_comparison_is_by_value_across_formats():
    assert Quantity.parse("1Gi") > Quantity.parse("1G")
    assert Quantity.parse("1000m") == Quantity.parse("1")
    assert Quantity.parse("2") > Quantity.parse("1")
    assert Quantity.parse("1Ki").cmp(Quantity.parse("1024")) == 0


def test_values_round_up_away_from_zero():
    assert Quantity.parse("100m").value() == 1
    assert Quantity.parse("1.5").milli_value() == 1500
    assert Quantity.parse("0.1m").milli_value() == 1
    assert Quantity.parse("-0.1m").milli_value() == -1
    assert Quantity.parse("1n").nanos == 1


def test_precision_below_nano_is_rounded_up():
    assert str(Quantity.parse("0.1n")) == "1n"


def test_round_up_to_milli():
    assert str(Quantity.parse("0.0001").round_up(-3)) == "1m"
    assert str(Quantity.parse("1.0001").round_up(-3)) == "1001m"


def test_addition_keeps_the_left_format_unless_it_is_zero():
    total = Quantity.parse("1Gi") + Quantity.parse("512Mi")
    assert str(total) == "1536Mi"
    assert (Quantity(0) + Quantity.parse("1Ki")).format is Format.BINARY_SI
    assert str(Quantity.parse("1") - Quantity.parse("250m")) == "750m"


def test_constructors():
    assert str(Quantity.from_milli(250)) == "250m"
    assert str(Quantity.from_int(2048, Format.BINARY_SI)) == "2Ki"


def test_canonical_leaves_unparsable_values_alone():
    assert canonical("nonsense") == "nonsense"
    assert canonical("0.5") == "500m"
    assert canonical("0.0001", milli_round_up=True) == "1m"
