"""HTML built so that text is escaped unless it says it is HTML.

:class:`Markup` is a ``str`` that holds HTML. Everything put into it — by
``format``, ``join`` or ``+`` — is escaped first unless it is Markup itself, so a
page is assembled from Markup pieces and any text (a customer's name, a title, a
number in words) lands escaped without a call at each place. Numbers pass as
numbers, so ``{:.1f}`` still formats them.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any, SupportsIndex


class Markup(str):
    """Text that is HTML already: kept as is when put into more HTML."""

    __slots__ = ()

    def format(self, *args: object, **kwargs: object) -> Markup:
        return Markup(str.format(self, *(_field(a) for a in args), **{k: _field(v) for k, v in kwargs.items()}))

    def join(self, parts: Iterable[object]) -> Markup:
        return Markup(str.join(self, (escape(p) for p in parts)))

    def __add__(self, other: object) -> Markup:
        return Markup(str.__add__(self, escape(other)))

    def __radd__(self, other: object) -> Markup:
        return Markup(str.__add__(escape(other), self))

    def __mul__(self, count: SupportsIndex) -> Markup:
        return Markup(str.__mul__(self, count))


def escape(value: object) -> Markup:
    """``value`` as HTML: Markup as it is, anything else as escaped text."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(str(value), quote=True))


def _field(value: object) -> Any:
    # A number formats as a number ("{:.1f}"); it has nothing to escape.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return escape(value)


__all__ = ["Markup", "escape"]
