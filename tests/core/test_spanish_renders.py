"""Every language but English, template by template: each template in ``messages/<locale>``
renders every sample in its language and reads what its English template reads, so a
translation changes words and nothing else. Written for Spanish, run for every language found
in ``messages/``: a new folder is judged the same way the moment it is added."""

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
from bot.language import DEFAULT_LOCALE, available_locales
from bot.render import Renderer
from bot.samples import WHO, as_sent

PARTIALS = "resources/"
"""A folder of partials that ``_resources.j2`` includes by name; never rendered alone."""
MARKUP = frozenset({"bold", "italic", "link", "role"})
"""The filters that make markup: a translation keeps each where its English template has it."""
# fmt: off
ENGLISH_WORDS = (
    "the", "you", "your", "i'm", "i'll", "i've", "don't", "can't", "is", "are", "was", "will",
    "with", "please", "thank", "thanks", "this", "that", "they", "them", "their", "not", "what",
    "when", "there", "here", "just", "now", "who", "my",
)
"""Words almost every English sentence has."""
# fmt: on
OWN_WORDS: dict[str, frozenset[str]] = {}
"""Those of ``ENGLISH_WORDS`` that are words of a language of its own too (German "was",
"will"; Dutch "is"), by locale: its templates may use them. Spanish has none."""


def english_words(locale: str) -> re.Pattern[str]:
    """The English words a sentence of ``locale`` never has."""
    words = [word for word in ENGLISH_WORDS if word not in OWN_WORDS.get(locale, frozenset())]
    return re.compile(rf"\b({'|'.join(map(re.escape, words))})\b", re.IGNORECASE)


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


OTHERS = [locale for locale in available_locales() if locale != DEFAULT_LOCALE]
"""Every language the bot ships but English, which the others are judged against."""
FILES = {locale: _files(locale) for locale in OTHERS}
TEMPLATES = [
    (locale, name.removesuffix(".j2"))
    for locale in OTHERS
    for name in sorted(FILES[locale])
    if not name.rpartition("/")[2].startswith("_") and not name.startswith(PARTIALS)
]
"""Each language's templates a reply renders (partials are rendered through them)."""


def complete(locale: str) -> bool:
    """Whether every English file has its translation; until then a template may include an
    English partial through the fallback, and lines the English render has too are not
    judged."""
    return set(_files(DEFAULT_LOCALE)) <= set(FILES[locale])


def test_every_language_but_english_is_judged() -> None:
    assert "es" in OTHERS, "the Spanish messages are no longer found in messages/"


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


@pytest.mark.parametrize(("locale", "template"), TEMPLATES)
def test_every_template_renders_every_sample_in_its_language(locale: str, template: str) -> None:
    samples = every_sample().get(template)
    assert samples, f"no sample context for {template}: it would never be rendered"
    english_word = english_words(locale)
    for context in samples:
        for dialect in DIALECTS[1:]:
            assert render(template, context, locale, dialect).strip(), dialect.name
        text = render(template, context, locale)
        assert text.strip()
        assert "{{" not in text
        assert "\n\n\n" not in text
        english = set()
        if not complete(locale):
            english = set(untyped(render(template, context, DEFAULT_LOCALE), context).split("\n"))
        for line in untyped(text, context).split("\n"):
            if line not in english:
                assert not english_word.search(line), f"{template}: English left in {line!r}"


@pytest.mark.parametrize(
    ("locale", "name"), [(locale, name) for locale in OTHERS for name in sorted(FILES[locale])]
)
def test_a_translated_file_reads_what_its_english_one_reads(locale: str, name: str) -> None:
    """Same context keys, same includes and macros, the same markup: a translation changes the
    words, never what a template is given or what it makes bold, links or notifies."""
    english = _files(DEFAULT_LOCALE).get(name)
    assert english is not None, f"messages/{locale}/{name} translates no English template"
    environment = Renderer(PlainDialect()).override_environment(locale)

    def shape(entry: Traversable) -> tuple[object, ...]:
        ast = environment.parse(entry.read_text(encoding="utf-8"))
        return (
            jinja2.meta.find_undeclared_variables(ast),
            set(jinja2.meta.find_referenced_templates(ast)),
            {node.name for node in ast.find_all(jinja2.nodes.Macro)},
            {node.name for node in ast.find_all(jinja2.nodes.Filter)} & MARKUP,
            len([call for call in ast.find_all(jinja2.nodes.Call) if _calls(call, "mention")]),
        )

    assert shape(FILES[locale][name]) == shape(english)


def _calls(call: jinja2.nodes.Call, name: str) -> bool:
    return isinstance(call.node, jinja2.nodes.Name) and call.node.name == name
