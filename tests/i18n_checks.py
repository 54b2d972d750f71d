"""Checks shared by the tests of both languages: an English answer has no Chinese of its own."""

from __future__ import annotations

import re

CJK = re.compile(r"[\u3400-\u9fff]")
ENGLISH = {"Accept-Language": "en"}


def assert_english(text: str, *names: str) -> None:
    """``text`` has no Chinese but for ``names`` (file names, field names, user data)."""
    for name in names:
        text = text.replace(name, "")
    assert not CJK.search(text), f"Chinese in an English text: {text!r}"
