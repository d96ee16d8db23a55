"""The label selector grammar, parsed as Kubernetes parses it, with its messages.

    selector     ::= requirement ( "," requirement )*
    requirement  ::= [ "!" ] KEY [ ( "=" | "==" | "!=" | ">" | "<" ) VALUE
                                 | ( "in" | "notin" ) "(" VALUE ( "," VALUE )* ")" ]

Whitespace separates tokens and is otherwise ignored; `in` and `notin` are keywords
only where an operator is expected (`x in (in)` is legal); a VALUE may be empty.
Errors are BadRequest with Kubernetes' text: `unable to parse requirement: ...`,
`found ',', expected: ...`.
"""

from __future__ import annotations

from kubelite.api import names
from kubelite.api.errors import BadRequest
from kubelite.api.selectors.labels import (
    BINARY_OPERATORS,
    DOES_NOT_EXIST,
    DOUBLE_EQUALS,
    EQUALS,
    EXISTS,
    GREATER_THAN,
    IN,
    LESS_THAN,
    NOT_EQUALS,
    NOT_IN,
    LabelSelector,
    Requirement,
    new_requirement,
)
from kubelite.api.selectors.messages import invalid_value

_SPECIAL = frozenset("=!(),<>")
_WHITESPACE = frozenset(" \t\r\n")
_KEYWORDS = frozenset((IN, NOT_IN))
_IDENT, _EOS = "ident", "eos"


def _lex(text: str) -> list[tuple[str, str]]:
    """Tokens as (kind, literal); kind is the literal itself for symbols and keywords."""
    tokens: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in _WHITESPACE:
            i += 1
        if i >= n:
            tokens.append((_EOS, ""))
            return tokens
        ch = text[i]
        if ch in _SPECIAL:
            two = text[i : i + 2]
            sym = two if two in ("!=", "==") else ch
            tokens.append((sym, sym))
            i += len(sym)
            continue
        start = i
        while i < n and text[i] not in _SPECIAL and text[i] not in _WHITESPACE:
            i += 1
        word = text[start:i]
        tokens.append((word if word in _KEYWORDS else _IDENT, word))


class _Parser:
    """Recursive descent over the token list, with Kubernetes' messages.

    In a *values* position `in` and `notin` are plain identifiers (`x in (in)` is legal).
    """

    def __init__(self, text: str) -> None:
        self.tokens = _lex(text)
        self.pos = 0

    def peek(self, values: bool = True) -> tuple[str, str]:
        kind, lit = self.tokens[self.pos]
        return (_IDENT, lit) if values and kind in _KEYWORDS else (kind, lit)

    def take(self, values: bool = True) -> tuple[str, str]:
        tok = self.peek(values)
        self.pos += 1
        return tok

    def parse(self) -> list[Requirement]:
        reqs: list[Requirement] = []
        while True:
            kind, lit = self.peek()
            if kind == _EOS:
                return reqs
            if kind not in (_IDENT, "!"):
                raise ValueError(f"found '{lit}', expected: !, identifier, or 'end of string'")
            try:
                reqs.append(self.requirement())
            except ValueError as err:
                raise ValueError(f"unable to parse requirement: {err}") from None
            kind, lit = self.take()
            if kind == _EOS:
                return reqs
            if kind != ",":
                raise ValueError(f"found '{lit}', expected: ',' or 'end of string'")
            kind, lit = self.peek()
            if kind not in (_IDENT, "!"):
                raise ValueError(f"found '{lit}', expected: identifier after ','")

    def requirement(self) -> Requirement:
        negated = False
        kind, key = self.take()
        if kind == "!":
            negated = True
            kind, key = self.take()
        if kind != _IDENT:
            raise ValueError(f"found '{key}', expected: identifier")
        if details := names.is_qualified_name(key):
            # Kubernetes validates the key here with a nil field path.
            raise ValueError(invalid_value("<nil>", key, details))
        if negated:
            return new_requirement(key, DOES_NOT_EXIST, [])
        if self.peek()[0] in (_EOS, ","):
            return new_requirement(key, EXISTS, [])
        op = self.operator()
        values = self.value_set() if op in (IN, NOT_IN) else self.exact_value()
        return new_requirement(key, op, sorted(values))

    def operator(self) -> str:
        kind, lit = self.take(values=False)
        ops = {
            IN: IN,
            NOT_IN: NOT_IN,
            "=": EQUALS,
            "==": DOUBLE_EQUALS,
            "!=": NOT_EQUALS,
            ">": GREATER_THAN,
            "<": LESS_THAN,
        }
        if kind not in ops:
            raise ValueError(f"found '{lit}', expected: {', '.join(BINARY_OPERATORS)}")
        return ops[kind]

    def value_set(self) -> set[str]:
        kind, lit = self.take()
        if kind != "(":
            raise ValueError(f"found '{lit}' expected: '('")
        kind, lit = self.peek()
        if kind == ")":
            self.take()
            return {""}
        if kind not in (_IDENT, ","):
            raise ValueError(f"found '{lit}', expected: ',', ')' or identifier")
        values: set[str] = set()
        while True:
            kind, lit = self.take()
            if kind == _IDENT:
                values.add(lit)
                nxt, nlit = self.peek()
                if nxt == ")":
                    break
                if nxt != ",":
                    raise ValueError(f"found '{nlit}', expected: ',' or ')'")
            elif kind == ",":
                # Empty members: `(,a)`, `(a,,b)` and `(a,)` all include "".
                nxt = self.peek()[0]
                if not values or nxt in (")", ","):
                    values.add("")
                if nxt == ")":
                    break
            else:
                raise ValueError(f"found '{lit}', expected: ',', or identifier")
        self.take()  # the ')'
        return values

    def exact_value(self) -> set[str]:
        if self.peek()[0] in (_EOS, ","):
            return {""}
        kind, lit = self.take()
        if kind != _IDENT:
            raise ValueError(f"found '{lit}', expected: identifier")
        return {lit}


def parse_label_selector(text: str) -> LabelSelector:
    """Parse the `labelSelector` query parameter; BadRequest with Kubernetes' message."""
    if _is_simple_equality(text):
        key, _, value = text.partition("=")
        if not names.is_qualified_name(key) and not names.is_label_value(value):
            return LabelSelector((Requirement(key, EQUALS, (value,)),))
    try:
        return LabelSelector(_Parser(text).parse())
    except ValueError as err:
        raise BadRequest(str(err)) from None


def _is_simple_equality(text: str) -> bool:
    # `k=v` with nothing the lexer would treat specially: skip the tokenizer entirely.
    return text.count("=") == 1 and not any(c in text for c in "!(),<> \t\r\n")
