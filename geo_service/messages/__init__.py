"""One catalogue of every sentence a person reads: Chinese by default, English on request.

Each entry is a stable key with a Chinese and an English template (``str.format`` fields).
Code never writes a sentence inline: it names a key and its parameters, ``Msg("zip.empty",
name=...)``, or raises ``InputError("zip.empty", name=...)``. The text is chosen when it is shown:
the web layer picks the language from ``Accept-Language`` (``negotiate``), the CLI and stored
records use Chinese.

Stored or returned records that a person may read in either language carry their texts in
Chinese plus an ``i18n`` map of the same fields as ``{"key", "params"}`` (``record``);
``localise`` re-renders those fields for another language, so a check stored today can be read
in English tomorrow.

The tables live in the modules beside this one (one per area of the service); a key is defined
once, and ``tests/test_messages.py`` checks that every key has both languages with the same
fields and that code names only keys that exist.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

from geo_service.messages import (
    analysis,
    big,
    big_check,
    common,
    database,
    edits,
    imports,
    land,
    queue,
    recheck,
    tiles,
    versions,
    web,
)

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


def _assemble(*tables: Mapping[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    merged: dict[str, tuple[str, str]] = {}
    for table in tables:
        for key, texts in table.items():
            if key in merged:
                raise RuntimeError(f"message key {key!r} is defined twice")
            merged[key] = texts
    return merged


CATALOGUE = _assemble(
    common.MESSAGES,
    web.MESSAGES,
    land.MESSAGES,
    analysis.MESSAGES,
    versions.MESSAGES,
    recheck.MESSAGES,
    imports.MESSAGES,
    edits.MESSAGES,
    database.MESSAGES,
    tiles.MESSAGES,
    big.MESSAGES,
    big_check.MESSAGES,
    queue.MESSAGES,
)


class Msg:
    """A sentence to show: a catalogue key and its parameters, rendered per language."""

    __slots__ = ("key", "params")

    def __init__(self, key: str, /, **params):
        if key not in CATALOGUE:
            raise KeyError(f"no message {key!r} in geo_service.messages")
        self.key = key
        self.params = params

    def text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return render(self.key, self.params, lang)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"Msg({self.key!r}, **{self.params!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Msg) and (self.key, self.params) == (other.key, other.params)

    def __hash__(self) -> int:
        return hash(self.key)

    def to_json(self) -> dict:
        return {"key": self.key, "params": {k: _plain(v) for k, v in self.params.items()}}


def _plain(value):
    """Parameters as JSON values; a nested Msg becomes its record so it re-renders too."""
    if isinstance(value, Msg):
        return {"$msg": value.to_json()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


class _Params(dict):
    """format_map arguments: nested messages rendered in the same language."""

    def __init__(self, params: Mapping, lang: str):
        super().__init__()
        for name, value in params.items():
            if isinstance(value, Msg):
                value = value.text(lang)
            elif isinstance(value, dict) and "$msg" in value:
                value = render(value["$msg"]["key"], value["$msg"].get("params", {}), lang)
            self[name] = value


def render(key: str, params: Mapping | None = None, lang: str = DEFAULT_LANGUAGE) -> str:
    """The text of ``key`` in ``lang`` (Chinese for any language not offered)."""
    zh, en = CATALOGUE[key]
    template = en if lang == "en" else zh
    return template.format_map(_Params(params or {}, lang))


def text_of(value, lang: str = DEFAULT_LANGUAGE) -> str:
    """A Msg rendered, a plain string (already a text, e.g. a file name) as it is."""
    if isinstance(value, Msg):
        return value.text(lang)
    return "" if value is None else str(value)


def fields_of(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def record(**fields) -> dict:
    """A dict of texts in Chinese plus ``i18n`` to re-render the Msg fields in another language."""
    out: dict = {}
    i18n: dict = {}
    for name, value in fields.items():
        out[name] = text_of(value)
        if isinstance(value, Msg):
            i18n[name] = value.to_json()
    if i18n:
        out["i18n"] = i18n
    return out


def localise(value, lang: str):
    """A copy of a JSON value with every ``record`` re-rendered in ``lang`` (as is for Chinese)."""
    if lang == DEFAULT_LANGUAGE:
        return value
    if isinstance(value, list):
        return [localise(item, lang) for item in value]
    if not isinstance(value, dict):
        return value
    out = {name: localise(item, lang) for name, item in value.items()}
    i18n = value.get("i18n")
    if isinstance(i18n, dict):
        for name, ref in i18n.items():
            if isinstance(ref, dict) and ref.get("key") in CATALOGUE:
                out[name] = render(ref["key"], ref.get("params") or {}, lang)
    return out


def negotiate(accept_language) -> str:
    """The language for an answer: English only when the client prefers it to Chinese.

    ``accept_language`` is Werkzeug's ``request.accept_languages``.
    """
    best = accept_language.best_match(["zh", "zh-CN", "en", "en-US", "en-GB"])
    return "en" if best and best.startswith("en") else DEFAULT_LANGUAGE
