"""Turn a reply (template key + context) into text in one platform's dialect.

Every value a template prints is escaped by the dialect unless the dialect itself made it (a
mention, bold text), so no string a member typed can inject markup or mentions. A template may
mention only the people the reply lists in ``mentions``; anyone else is printed as a plain name.
"""

from __future__ import annotations

import calendar
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Protocol

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bot.domain.danger import DangerWords
from bot.domain.replies import Mention

log = logging.getLogger(__name__)

_BLANK_RUNS = re.compile(r"\n{3,}")

MAX_RENDERED = 20_000
"""No template, however an override is written, may render more than this."""


class Dialect(Protocol):
    """How one platform writes markup; adapters supply their own."""

    @property
    def name(self) -> str: ...

    @property
    def max_length(self) -> int: ...

    def escape(self, text: str) -> str: ...

    def mention(self, person: str, name: str) -> str:
        """Markup that notifies ``person``; ``name`` arrives unescaped."""
        ...

    def bold(self, markup: str) -> str: ...

    def italic(self, markup: str) -> str: ...

    def link(self, url: str, markup: str) -> str: ...

    def role(self, role: str) -> str:
        """Markup that names a role (the platform's id) without notifying its members."""
        ...


class Marked(str):
    """Text the dialect already made safe; printed as it is."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class PlainDialect:
    """Plain text, for the console: nothing to escape, mentions as @name."""

    name: str = "plain"
    max_length: int = 100_000

    def escape(self, text: str) -> str:
        return text

    def mention(self, person: str, name: str) -> str:
        return f"@{name}"

    def bold(self, markup: str) -> str:
        return markup

    def italic(self, markup: str) -> str:
        return markup

    def link(self, url: str, markup: str) -> str:
        return f"{markup} ({url})" if markup != url else url

    def role(self, role: str) -> str:
        return f"role {role}"


class RenderError(Exception):
    """A template is missing or broken; loud, because a member would see nothing."""


def bundled_messages() -> Traversable:
    """The templates that ship with Homegroup."""
    return resources.files("messages")


class _TraversableLoader(jinja2.BaseLoader):
    """Load templates from package data, wherever the package is installed."""

    def __init__(self, root: Traversable) -> None:
        self._root = root

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        entry = self._root
        for part in template.split("/"):
            if part in ("", ".", ".."):
                raise jinja2.TemplateNotFound(template)
            entry = entry.joinpath(part)
        if not entry.is_file():
            raise jinja2.TemplateNotFound(template)
        return entry.read_text(encoding="utf-8"), None, lambda: True


@dataclass
class Renderer:
    """Render templates for one dialect; deployment overrides win over the bundled files.

    An override that fails when a member is waiting falls back to the bundled template, so a
    deployment's typo never costs anyone their answer; ``fall_back=False`` is for the check at
    start, which must see the override's own error.
    """

    dialect: Dialect
    overrides: Path | None = None
    fall_back: bool = True
    _environments: dict[tuple[str, bool], jinja2.Environment] = field(
        default_factory=dict, init=False
    )

    def render(
        self,
        template: str,
        context: Mapping[str, Any],
        *,
        locale: str = "en",
        mentions: Iterable[Mention] = (),
    ) -> str:
        """Render ``template`` with ``context``; only ``mentions`` may be notified."""
        values = {**context, "_allowed_mentions": {m.person for m in mentions}}
        overridden = self.overrides is not None
        try:
            text = self._render(template, values, locale, overridden)
        except Exception as error:  # a filter's ValueError as much as a template's own error
            if not (overridden and self.fall_back):
                raise RenderError(f"template {template!r} ({locale}): {error!r}") from error
            failed = type(error).__name__
            try:
                text = self._render(template, values, locale, False)
            except Exception as bundled_error:
                raise RenderError(
                    f"template {template!r} ({locale}): {bundled_error!r}"
                ) from bundled_error
            # A Jinja message can quote a member's words: name the template, not the error.
            log.warning(
                "template %s (%s): the override failed (%s); sent the bundled one",
                template,
                locale,
                failed,
            )
        text = _BLANK_RUNS.sub(
            "\n\n", "\n".join(line.rstrip() for line in text.strip().splitlines())
        )
        if len(text) > MAX_RENDERED:
            log.warning("template %s rendered %d characters; cut", template, len(text))
            text = text[:MAX_RENDERED]
        return text

    def _render(
        self, template: str, values: Mapping[str, Any], locale: str, overridden: bool
    ) -> str:
        return self._environment(locale, overridden).get_template(f"{template}.j2").render(values)

    def parse(self, source: str, name: str, locale: str = "en") -> jinja2.nodes.Template:
        """Read ``source`` as this renderer would; raise TemplateSyntaxError if it cannot."""
        return self._environment(locale, False).parse(source, name)

    def has_template(self, template: str, locale: str = "en") -> bool:
        try:
            self._environment(locale, self.overrides is not None).get_template(f"{template}.j2")
        except jinja2.TemplateNotFound:
            return False
        return True

    def _environment(self, locale: str, overridden: bool) -> jinja2.Environment:
        env = self._environments.get((locale, overridden))
        if env is None:
            env = self._build(locale, overridden)
            self._environments[locale, overridden] = env
        return env

    def _build(self, locale: str, overridden: bool) -> jinja2.Environment:
        loaders: list[jinja2.BaseLoader] = []
        if overridden and self.overrides is not None:
            loaders.append(jinja2.FileSystemLoader(self.overrides / locale))
        loaders.append(_TraversableLoader(bundled_messages().joinpath(locale)))
        if locale != "en":
            loaders.append(_TraversableLoader(bundled_messages().joinpath("en")))
        dialect = self.dialect

        def safe(value: object) -> Marked:
            if isinstance(value, Marked):
                return value
            return Marked(dialect.escape("" if value is None else str(value)))

        env = ImmutableSandboxedEnvironment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=False,
            finalize=safe,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )

        @jinja2.pass_context
        def mention(ctx: jinja2.runtime.Context, who: Mapping[str, Any]) -> Marked:
            person, name = str(who["id"]), str(who["name"])
            if person in ctx.get("_allowed_mentions", ()):
                return Marked(dialect.mention(person, name))
            return safe(name)

        env.globals["mention"] = mention
        env.globals["platform"] = dialect.name
        env.filters["bold"] = lambda value: Marked(dialect.bold(safe(value)))
        env.filters["italic"] = lambda value: Marked(dialect.italic(safe(value)))
        env.filters["link"] = lambda url, text=None: Marked(
            dialect.link(str(url), safe(url if text is None else text))
        )
        env.filters["role"] = lambda value: Marked(dialect.role(str(value)))
        env.filters["longdate"] = _long_date
        env.filters["weekday"] = _weekday
        env.filters["plural"] = _plural
        return env


def load_danger_words(locale: str, overrides: Path | None) -> DangerWords:
    """The bundled danger words of a locale, extended by a deployment's own list."""
    words = DangerWords(())
    bundled = bundled_messages().joinpath(locale).joinpath("danger_words.txt")
    if bundled.is_file():
        words += DangerWords.parse(bundled.read_text(encoding="utf-8"))
    if overrides is not None:
        extra = overrides / locale / "danger_words.txt"
        if extra.is_file():
            words += DangerWords.parse(extra.read_text(encoding="utf-8"))
    return words


def _weekday(value: str | int) -> str:
    """The English day name of an ISO date, or of a weekday number (0 is Monday)."""
    if isinstance(value, int):
        return calendar.day_name[value % 7]
    return date.fromisoformat(str(value)).strftime("%A")


def _long_date(iso: str) -> str:
    day = date.fromisoformat(str(iso))
    return f"{day.day} {day.strftime('%B %Y')}"


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    word = singular if count == 1 else (plural or f"{singular}s")
    return f"{count:,} {word}"
