"""The Spanish messages: every template in ``messages/es`` renders every sample in Spanish and
reads what its English template reads, so a translation changes words and nothing else."""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import jinja2
import jinja2.meta
import jinja2.nodes
import pytest

from adapters.discord.dialect import DiscordDialect
from adapters.platforms import every_sample
from adapters.telegram.dialect import TelegramDialect
from bot.dialect import Dialect, PlainDialect
from bot.domain.replies import Mention
from bot.render import Renderer
from bot.samples import WHO, as_sent

LOCALE = "es"
PARTIALS = "resources/"
"""A folder of partials that ``_resources.j2`` includes by name; never rendered alone."""
MARKUP = frozenset({"bold", "italic", "link", "role"})
"""The filters that make markup: a translation keeps each where its English template has it."""
ENGLISH = re.compile(
    r"\b(the|you|your|i'm|i'll|i've|don't|can't|is|are|was|will|with|please|thank|thanks"
    r"|this|that|they|them|their|not|what|when|there|here|just|now|who|my)\b",
    re.IGNORECASE,
)
"""Words no Spanish sentence has, and almost every English one does."""


def _files(locale: str) -> dict[str, Traversable]:
    """Every template file of a locale's folder, by its path inside the folder."""
    found: dict[str, Traversable] = {}
    todo: list[tuple[str, Traversable]] = [("", resources.files("messages").joinpath(locale))]
    while todo:
        prefix, folder = todo.pop()
        for entry in folder.iterdir():
            if entry.is_dir():
                todo.append((f"{prefix}{entry.name}/", entry))
            elif entry.name.endswith(".j2"):
                found[f"{prefix}{entry.name}"] = entry
    return found


SPANISH = _files(LOCALE)
TEMPLATES = sorted(
    name.removesuffix(".j2")
    for name in SPANISH
    if not name.rpartition("/")[2].startswith("_") and not name.startswith(PARTIALS)
)
"""The Spanish templates a reply renders (partials are rendered through them)."""
COMPLETE = set(_files("en")) <= set(SPANISH)
"""Whether every English file has its Spanish one; until then a Spanish template may include an
English partial through the fallback, and lines the English render has too are not judged."""


PLAIN = PlainDialect()
DIALECTS: list[Dialect] = [PLAIN, TelegramDialect(), DiscordDialect()]


def render(template: str, context: dict[str, Any], locale: str, dialect: Dialect = PLAIN) -> str:
    return Renderer(dialect).render(
        template, as_sent(context), locale=locale, mentions=[Mention(WHO["id"], WHO["name"])]
    )


def strings(value: object) -> Iterator[str]:
    """Every string a context carries."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)


def untyped(text: str, context: dict[str, Any]) -> str:
    """``text`` without the sample's own strings: names and notes are shown as typed, in any
    language, so only the template's words are judged."""
    for typed in sorted(set(strings(as_sent(context))), key=len, reverse=True):
        if len(typed) > 2:
            text = text.replace(typed, " ")
    return text


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_spanish_template_renders_every_sample_in_spanish(template: str) -> None:
    samples = every_sample().get(template)
    assert samples, f"no sample context for {template}: it would never be rendered"
    for context in samples:
        for dialect in DIALECTS[1:]:
            assert render(template, context, LOCALE, dialect).strip(), dialect.name
        text = render(template, context, LOCALE)
        assert text.strip()
        assert "{{" not in text
        assert "\n\n\n" not in text
        english = set()
        if not COMPLETE:
            english = set(untyped(render(template, context, "en"), context).split("\n"))
        for line in untyped(text, context).split("\n"):
            if line not in english:
                assert not ENGLISH.search(line), f"{template}: English left in {line!r}"


@pytest.mark.parametrize("name", sorted(SPANISH))
def test_a_spanish_file_reads_what_its_english_one_reads(name: str) -> None:
    """Same context keys, same includes and macros, the same markup: a translation changes the
    words, never what a template is given or what it makes bold, links or notifies."""
    english = _files("en").get(name)
    assert english is not None, f"messages/es/{name} translates no English template"
    environment = Renderer(PlainDialect()).override_environment(LOCALE)

    def shape(entry: Traversable) -> tuple[object, ...]:
        ast = environment.parse(entry.read_text(encoding="utf-8"))
        return (
            jinja2.meta.find_undeclared_variables(ast),
            set(jinja2.meta.find_referenced_templates(ast)),
            {node.name for node in ast.find_all(jinja2.nodes.Macro)},
            {node.name for node in ast.find_all(jinja2.nodes.Filter)} & MARKUP,
            len([call for call in ast.find_all(jinja2.nodes.Call) if _calls(call, "mention")]),
        )

    assert shape(SPANISH[name]) == shape(english)


def _calls(call: jinja2.nodes.Call, name: str) -> bool:
    return isinstance(call.node, jinja2.nodes.Name) and call.node.name == name
