"""Message resources: every template exists, renders, and escapes what members typed."""

from __future__ import annotations

import html
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pytest

from adapters.discord.sender import T as DiscordTemplates
from adapters.platforms import every_sample
from adapters.telegram.sender import T as TelegramTemplates
from bot.dialect import PlainDialect
from bot.domain.replies import Mention, Template
from bot.flows import all_flows
from bot.render import Renderer, RenderError
from bot.samples import WHO, as_sent, cleantime


@dataclass(frozen=True)
class HtmlDialect:
    """A dialect like Telegram's, to prove escaping and mentions."""

    name: str = "html"
    max_length: int = 4096

    def escape(self, text: str) -> str:
        return html.escape(text, quote=False)

    def mention(self, person: str, name: str) -> str:
        return f'<a href="tg://user?id={person}">{self.escape(name)}</a>'

    def bold(self, markup: str) -> str:
        return f"<b>{markup}</b>"

    def italic(self, markup: str) -> str:
        return f"<i>{markup}</i>"

    def link(self, url: str, markup: str) -> str:
        return f'<a href="{html.escape(url)}">{markup}</a>'


def emitted_keys() -> set[str]:
    """Every template key the core and its flows can emit."""
    keys = {str(t) for t in Template}
    for enum in (*all_flows().templates, TelegramTemplates, DiscordTemplates):
        keys |= {str(t) for t in enum}
    return keys


def bundled_keys() -> set[str]:
    folder = resources.files("messages").joinpath("en")
    return {
        entry.name.removesuffix(".j2")
        for entry in folder.iterdir()
        if entry.name.endswith(".j2") and not entry.name.startswith("_")
    }


def test_every_template_the_core_can_emit_exists_and_none_is_orphaned() -> None:
    assert emitted_keys() == bundled_keys()


@pytest.mark.parametrize("template", sorted(emitted_keys()))
def test_every_template_renders_every_sample(template: str) -> None:
    renderer = Renderer(PlainDialect())
    samples = every_sample()
    assert samples.get(template), f"no sample context for {template} in bot/samples"
    for context in samples[template]:
        text = renderer.render(
            template, as_sent(context), mentions=[Mention(WHO["id"], WHO["name"])]
        )
        assert text.strip()
        assert "{{" not in text
        assert "\n\n\n" not in text


def test_a_missing_context_value_fails_loudly() -> None:
    with pytest.raises(RenderError):
        Renderer(PlainDialect()).render(Template.UNKNOWN_COMMAND, {})


def test_member_text_is_escaped_and_cannot_mention() -> None:
    sneaky = '<b>&amp;</b> <a href="tg://user?id=1">x</a>'
    renderer = Renderer(HtmlDialect())
    text = renderer.render(
        Template.MILESTONE_DIGEST,
        {
            "entries": [
                {
                    "person": {"id": "7", "name": sneaky},
                    "milestone": "30d",
                    "day": "2026-11-29",
                    "late": False,
                },
                {
                    "person": {"id": "1", "name": "Not Allowed"},
                    "milestone": "1d",
                    "day": "2026-11-29",
                    "late": False,
                },
            ]
        },
        mentions=[Mention("7", sneaky)],
    )
    assert (
        '<a href="tg://user?id=7">&lt;b&gt;&amp;amp;&lt;/b&gt; &lt;a href="tg://user?id=1"&gt;x'
        "&lt;/a&gt;</a>" in text
    )
    assert 'href="tg://user?id=1"' not in text.replace('&lt;a href="tg://user?id=1"&gt;', "")
    assert "Not Allowed has 1 day clean today." in text


def test_bold_escapes_its_input() -> None:
    text = Renderer(HtmlDialect()).render(
        Template.DAYS, {"who": {"id": "7", "name": "<i>Sam</i>"}, "counters": [cleantime.COUNTER]}
    )
    assert text.startswith("<b>&lt;i&gt;Sam&lt;/i&gt;</b>, since 1 March 2026")


def test_overrides_win_and_are_sandboxed(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "help.j2").write_text("Our group's own help.")
    (tmp_path / "en" / "days_none.j2").write_text("{{ who.__class__.__mro__ }}")
    renderer = Renderer(PlainDialect(), overrides=tmp_path)
    assert renderer.render(Template.HELP, {}) == "Our group's own help."
    assert "I don't know /x" in renderer.render(Template.UNKNOWN_COMMAND, {"command": "x"})
    sent = renderer.render(Template.DAYS_NONE, {"who": WHO})
    assert sent.startswith("You haven't set a clean date yet."), "the bundled one, not the class"
    with pytest.raises(RenderError):
        Renderer(PlainDialect(), tmp_path, fall_back=False).render(Template.DAYS_NONE, {"who": WHO})
