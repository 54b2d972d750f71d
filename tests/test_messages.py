"""The message catalogue: complete in both languages, and the only source of user sentences."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from geo_service import errors
from geo_service.config import REPO_ROOT
from geo_service.messages import CATALOGUE, Msg, fields_of, localise, record, render

CJK = re.compile(r"[\u3400-\u9fff]")
PACKAGE = REPO_ROOT / "geo_service"


def error_classes(base: type) -> set[str]:
    """Every error class, those defined beside the code that raises them included."""
    import geo_service.land.jobs  # noqa: F401 - defines StoredError
    import geo_service.render.chromium  # noqa: F401 - defines RendererUnavailable
    import geo_service.web.accounts  # noqa: F401 - defines LoginThrottled

    found, todo = {base.__name__}, [base]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.add(sub.__name__)
            todo.append(sub)
    return found


ERROR_CLASSES = error_classes(errors.GeoServiceError)
#: Keys built at run time (f"http.{status}") rather than named in the code.
DYNAMIC_PREFIXES = ("http.",)


def sources() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if "messages" not in p.relative_to(PACKAGE).parts]


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_both_languages_with_the_same_fields(key):
    zh, en = CATALOGUE[key]
    words = re.sub(r"\{\w+\}", "", zh)
    if re.search(r"[^\W\d_]", words):  # not a mere pattern like "{where}：{message}"
        assert CJK.search(zh), f"{key}: the Chinese text has no Chinese: {zh!r}"
        assert en != zh, f"{key}: no English text"
    assert en.strip(), f"{key}: no English text"
    assert fields_of(zh) == fields_of(en), f"{key}: the two texts use different fields"
    params = {name: "x" for name in fields_of(zh)}
    assert render(key, params, "zh") and render(key, params, "en")


def literal_strings(node: ast.AST) -> list[ast.AST]:
    """The str literals and f-strings an argument may evaluate to (both sides of an IfExp)."""
    if isinstance(node, ast.IfExp):
        return literal_strings(node.body) + literal_strings(node.orelse)
    if isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    ):
        return [node]
    return []


def dynamic_key(node: ast.AST) -> bool:
    """f"http.{status}": a key picked at run time from a prefix whose keys are listed."""
    head = node.values[0] if isinstance(node, ast.JoinedStr) and node.values else None
    return isinstance(head, ast.Constant) and str(head.value).startswith(DYNAMIC_PREFIXES)


def calls(tree: ast.AST, names: set[str]):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name in names:
                yield name, node


def test_code_names_keys_never_sentences():
    """Errors, Msgs and Problems name catalogue keys; no sentence is written inline."""
    wrong = []
    for path in sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = path.relative_to(REPO_ROOT)
        for name, node in calls(tree, ERROR_CLASSES | {"Msg"}):
            for arg in literal_strings(node.args[0]) if node.args else []:
                if not (isinstance(arg, ast.Constant) and arg.value in CATALOGUE) and not (
                    dynamic_key(arg)
                ):
                    wrong.append(f"{where}:{node.lineno} {name}({ast.unparse(arg)[:60]})")
        for _, node in calls(tree, {"Problem"}):
            for arg in node.args[1:3] + [
                k.value for k in node.keywords if k.arg in ("message", "hint")
            ]:
                for literal in literal_strings(arg):
                    wrong.append(f"{where}:{node.lineno} Problem(… {ast.unparse(literal)[:60]})")
    assert not wrong, "sentences written inline, not from geo_service.messages:\n" + "\n".join(
        wrong
    )


def test_every_key_is_used():
    code = "\n".join(p.read_text(encoding="utf-8") for p in sources())
    unused = [
        key for key in CATALOGUE if f'"{key}"' not in code and not key.startswith(DYNAMIC_PREFIXES)
    ]
    assert not unused, f"catalogue entries no code names: {unused}"


def test_records_re_render_in_english():
    stored = {"warnings": [record(message=Msg("where.line", line=7))], "name": "第 7 行"}
    english = localise(stored, "en")
    assert english["warnings"][0]["message"] == "line 7"
    assert english["name"] == "第 7 行", "plain strings (user data) are never touched"
    assert localise(stored, "zh") is stored


def test_errors_keep_their_key_across_processes():
    import pickle

    error = errors.Busy("http.405", method="PUT", allowed="GET", retry_after=3)
    again = pickle.loads(pickle.dumps(error))
    assert (again.message, again.retry_after) == (error.message, 3)
    assert again.to_dict("en")["error"]["message"] == "PUT is not allowed here; allowed: GET."


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "找不到该地址"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "找不到该地址"),
        ("en-US,en;q=0.9", "No such address"),
        ("en;q=0.5,zh;q=0.9", "找不到该地址"),
        ("fr", "找不到该地址"),
    ],
)
def test_accept_language_chooses_the_language(client, accept, expected):
    headers = {"Accept-Language": accept} if accept else {}
    answer = client.get("/api/no-such-thing", headers=headers)
    assert answer.status_code == 404
    body = answer.get_json()["error"]
    assert body["code"] == "not_found"
    assert body["message"].startswith(expected)
    assert "Accept-Language" in answer.headers.get("Vary", "")
