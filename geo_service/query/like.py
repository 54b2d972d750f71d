"""CQL2 ``LIKE`` patterns matched without regular expressions (no catastrophic backtracking).

``%`` is any run of characters, ``_`` exactly one, ``\\`` makes the next character literal.
The greedy two-pointer wildcard match takes at most len(pattern) * len(text) steps.
"""

from __future__ import annotations

from collections.abc import Callable

ANY_RUN, ANY_ONE = object(), object()


def tokens(pattern: str) -> list:
    """The pattern as literal characters and the two wildcards (runs of ``%`` collapsed)."""
    out: list = []
    escaped = False
    for char in pattern:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            if not out or out[-1] is not ANY_RUN:
                out.append(ANY_RUN)
        elif char == "_":
            out.append(ANY_ONE)
        else:
            out.append(char)
    if escaped:  # a trailing backslash stands for itself
        out.append("\\")
    return out


def like_matcher(pattern: str) -> Callable[[str], bool]:
    """A function telling whether a whole string matches ``pattern``."""
    parts = tokens(pattern)

    def matches(text: str) -> bool:
        t = p = 0
        star, star_t = -1, 0
        while t < len(text):
            if (
                p < len(parts)
                and parts[p] is not ANY_RUN
                and (parts[p] is ANY_ONE or parts[p] == text[t])
            ):
                t += 1
                p += 1
            elif p < len(parts) and parts[p] is ANY_RUN:
                star, star_t = p, t
                p += 1
            elif star >= 0:
                star_t += 1
                t, p = star_t, star + 1
            else:
                return False
        while p < len(parts) and parts[p] is ANY_RUN:
            p += 1
        return p == len(parts)

    return matches
