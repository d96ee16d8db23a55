"""Resource quantities: `100m`, `1Gi`, `1e3`, `0.5`.

A quantity is a fixed-point number with one of three spellings, which Kubernetes calls
formats and which survive a round trip:

    BinarySI          Ki Mi Gi Ti Pi Ei          (powers of 1024)
    DecimalSI         n u m "" k M G T P E       (powers of 1000)
    DecimalExponent   1e3, 5E-3                  (powers of 10)

Values keep nine decimal places; anything finer is rounded up, away from zero, so that a
request for "some" resource never becomes zero (Kubernetes does the same). `str()` gives
the canonical form the API server writes back: the largest suffix that keeps the mantissa
an integer, `0.5` -> `500m`, `1024Mi` -> `1Gi`, `1.5Gi` -> `1536Mi`. The scheduler and the
kubelet compare and add quantities through this class; validation parses with `parse()`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import total_ordering
from typing import Any

_QUANTITY_RE = re.compile(r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")
FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
NUMERIC_ERROR = "unable to parse numeric part of quantity"
SUFFIX_ERROR = "unable to parse quantity's suffix"

_NANO = 10**9


class Format(StrEnum):
    BINARY_SI = "BinarySI"
    DECIMAL_SI = "DecimalSI"
    DECIMAL_EXPONENT = "DecimalExponent"


_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_BY_EXP = {exp: suffix for suffix, exp in _DECIMAL.items()}
_BINARY_BY_EXP = {exp: suffix for suffix, exp in _BINARY.items()}


class QuantityError(ValueError):
    """A string that is not a quantity; the message is Kubernetes' wording."""


def _ceil_div(a: int, b: int) -> int:
    """Divide, rounding away from zero (Kubernetes rounds quantities up, never down)."""
    q, r = divmod(abs(a), b)
    q += 1 if r else 0
    return q if a >= 0 else -q


def _scale(nanos_num: int, nanos_den: int) -> int:
    return _ceil_div(nanos_num, nanos_den) if nanos_den != 1 else nanos_num


@total_ordering
@dataclass(frozen=True, slots=True)
class Quantity:
    """An exact quantity held as an integer count of nano-units."""

    nanos: int
    format: Format = Format.DECIMAL_SI

    # ---- construction ------------------------------------------------------------------

    @classmethod
    def parse(cls, value: Any) -> Quantity:
        """Parse a JSON value (string or number) the way the API server decodes it."""
        if isinstance(value, bool):
            raise QuantityError(FORMAT_ERROR)
        if isinstance(value, (int, float)):
            value = repr(value) if isinstance(value, float) else str(value)
        if not isinstance(value, str):
            raise QuantityError(FORMAT_ERROR)
        text = value.strip()
        m = _QUANTITY_RE.match(text)
        if not m or not text:
            raise QuantityError(FORMAT_ERROR)
        number, suffix = m.group(1), m.group(2)
        negative = number.startswith("-")
        digits = number.lstrip("+-")
        if digits.count(".") > 1 or digits in ("", "."):
            raise QuantityError(NUMERIC_ERROR)
        whole, _, frac = digits.partition(".")
        mantissa = int((whole or "0") + frac)
        exp10 = -len(frac)
        base2 = 0
        fmt = Format.DECIMAL_SI
        if suffix in _BINARY:
            base2, fmt = _BINARY[suffix], Format.BINARY_SI
        elif suffix in _DECIMAL:
            exp10 += _DECIMAL[suffix]
        elif len(suffix) > 1 and suffix[0] in "eE":
            try:
                exp10 += int(suffix[1:])
            except ValueError:
                raise QuantityError(SUFFIX_ERROR) from None
            fmt = Format.DECIMAL_EXPONENT
        else:
            raise QuantityError(SUFFIX_ERROR)
        num = mantissa * (1024**base2) * _NANO
        den = 1
        if exp10 >= 0:
            num *= 10**exp10
        else:
            den = 10 ** (-exp10)
        nanos = _scale(num, den)
        return cls(-nanos if negative else nanos, fmt)

    @classmethod
    def from_int(cls, value: int, fmt: Format = Format.DECIMAL_SI) -> Quantity:
        return cls(value * _NANO, fmt)

    @classmethod
    def from_milli(cls, milli: int, fmt: Format = Format.DECIMAL_SI) -> Quantity:
        return cls(milli * 10**6, fmt)

    # ---- reading -----------------------------------------------------------------------

    def value(self) -> int:
        """The value rounded up (away from zero) to an integer, as Quantity.Value()."""
        return _ceil_div(self.nanos, _NANO)

    def milli_value(self) -> int:
        """The value in thousandths, rounded up (away from zero)."""
        return _ceil_div(self.nanos, 10**6)

    def is_zero(self) -> bool:
        return self.nanos == 0

    def sign(self) -> int:
        return (self.nanos > 0) - (self.nanos < 0)

    def as_float(self) -> float:
        return self.nanos / _NANO

    def round_up(self, scale: int) -> Quantity:
        """Round up to 10**scale units (scale -3 is milli), as Quantity.RoundUp."""
        unit = 10 ** (scale + 9) if scale > -9 else 1
        return Quantity(_ceil_div(self.nanos, unit) * unit, self.format)

    # ---- arithmetic and comparison -----------------------------------------------------

    def __add__(self, other: Quantity) -> Quantity:
        fmt = other.format if self.nanos == 0 else self.format
        return Quantity(self.nanos + other.nanos, fmt)

    def __sub__(self, other: Quantity) -> Quantity:
        fmt = other.format if self.nanos == 0 else self.format
        return Quantity(self.nanos - other.nanos, fmt)

    def __neg__(self) -> Quantity:
        return Quantity(-self.nanos, self.format)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        return self.nanos == other.nanos

    def __lt__(self, other: Quantity) -> bool:
        return self.nanos < other.nanos

    def __hash__(self) -> int:
        return hash(self.nanos)

    def cmp(self, other: Quantity) -> int:
        return (self.nanos > other.nanos) - (self.nanos < other.nanos)

    # ---- canonical form ----------------------------------------------------------------

    def __str__(self) -> str:
        if self.nanos == 0:
            return "0"
        fmt = self.format
        if fmt is Format.BINARY_SI:
            if -1024 * _NANO < self.nanos < 1024 * _NANO or self.nanos % _NANO:
                fmt = Format.DECIMAL_SI  # small or fractional: binary would hide precision
            else:
                return _binary_string(self.nanos // _NANO)
        return _decimal_string(self.nanos, fmt)

    def __repr__(self) -> str:
        return f"Quantity({str(self)!r})"


def _binary_string(value: int) -> str:
    exp = 0
    while value % 1024 == 0 and exp < 6:
        value //= 1024
        exp += 1
    return f"{value}{_BINARY_BY_EXP.get(exp, '')}"


def _decimal_string(nanos: int, fmt: Format) -> str:
    mantissa, exp = nanos, -9
    while mantissa % 10 == 0:
        mantissa //= 10
        exp += 1
    shift = exp % 3  # make the exponent a multiple of three, keeping an integer mantissa
    mantissa *= 10**shift
    exp -= shift
    if exp == 0:
        return str(mantissa)
    if fmt is Format.DECIMAL_EXPONENT or exp not in _DECIMAL_BY_EXP:
        return f"{mantissa}e{exp}"
    return f"{mantissa}{_DECIMAL_BY_EXP[exp]}"


def parse_quantity(value: Any) -> Quantity:
    """Module-level alias of `Quantity.parse`."""
    return Quantity.parse(value)


def canonical(value: Any, *, milli_round_up: bool = False) -> Any:
    """The canonical spelling of `value`, or `value` unchanged when it does not parse.

    Defaulting uses this so a bad quantity survives for validation to report.
    """
    try:
        q = Quantity.parse(value)
    except QuantityError:
        return value
    if milli_round_up:
        q = q.round_up(-3)
    return str(q)
