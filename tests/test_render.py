"""Message resources: every template exists, renders, and escapes what members typed."""

from __future__ import annotations

import html
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from bot.domain.replies import Mention, Template
from bot.render import PlainDialect, Renderer, RenderError

WHO = {"id": "7", "name": "Sam"}
COUNTER = {
    "name": "",
    "since": "2026-03-01",
    "days": 273,
    "span": {"years": 0, "months": 8, "days": 28},
    "today": None,
    "next": {"milestone": "9m", "day": "2026-12-01", "in_days": 2},
}

SAMPLES: dict[Template, list[dict[str, Any]]] = {
    Template.HELP: [{}],
    Template.UNKNOWN_COMMAND: [{"command": "frobnicate"}],
    Template.CLEANDATE_SET: [
        {"counter": COUNTER, "shared": True, "in_group": True},
        {"counter": {**COUNTER, "name": "nicotine"}, "shared": False, "in_group": False},
    ],
    Template.CLEANDATE_INVALID: [
        {"reason": r, "today": "2026-11-29", "earliest": "1900-01-01", "limit": 10}
        for r in (
            "empty",
            "too_long",
            "unreadable",
            "impossible",
            "future",
            "too_old",
            "name_too_long",
            "too_many_counters",
        )
    ],
    Template.DAYS: [{"counters": [COUNTER, {**COUNTER, "name": "nicotine", "next": None}]}],
    Template.DAYS_NONE: [{}],
    Template.SENT_PRIVATELY: [{}],
    Template.TOGETHER: [
        {"members": 0, "total_days": 0, "years": 0, "months": 0},
        {"members": 1, "total_days": 40, "years": 0, "months": 1},
        {"members": 14, "total_days": 8480, "years": 23, "months": 2},
    ],
    Template.TIMEZONE_SET: [{"zone": "Europe/London", "local_today": "2026-11-29"}],
    Template.TIMEZONE_SHOW: [{"zone": "UTC", "own": False}],
    Template.TIMEZONE_UNKNOWN: [{"suggestions": ["Europe/London"]}, {"suggestions": []}],
    Template.MILESTONES: [
        {
            "since": "2026-03-01",
            "reached_count": 6,
            "reached": [{"milestone": "6m", "day": "2026-09-01"}],
            "upcoming": [{"milestone": "9m", "day": "2026-12-01", "in_days": 2}],
        }
    ],
    Template.SHARE_SET: [{"shared": True, "has_date": False}, {"shared": False, "has_date": True}],
    Template.SHARE_USAGE: [{"shared": True}],
    Template.GROUP_ONLY: [{"command": "share"}],
    Template.MILESTONE_DIGEST: [
        {"entries": [{"person": WHO, "milestone": "30d", "day": "2026-11-29", "late": False}]},
        {
            "entries": [
                {"person": WHO, "milestone": "1y", "day": "2026-11-26", "late": True},
                {
                    "person": {"id": "8", "name": "Kim"},
                    "milestone": "18m",
                    "day": "2026-11-29",
                    "late": False,
                },
            ]
        },
    ],
    Template.BUTTON_UNKNOWN: [{}],
}


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


def bundled_keys() -> set[str]:
    folder = resources.files("messages").joinpath("en")
    return {
        entry.name.removesuffix(".j2")
        for entry in folder.iterdir()
        if entry.name.endswith(".j2") and not entry.name.startswith(("_", "label_"))
    }


def test_every_template_the_core_can_emit_exists_and_none_is_orphaned() -> None:
    assert {str(t) for t in Template} == bundled_keys()


@pytest.mark.parametrize("template", list(Template))
def test_every_template_renders_every_sample(template: Template) -> None:
    renderer = Renderer(PlainDialect())
    assert SAMPLES[template], f"no sample context for {template}"
    for context in SAMPLES[template]:
        text = renderer.render(template, {"who": WHO, **context}, mentions=[Mention("7", "Sam")])
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
        Template.DAYS, {"who": {"id": "7", "name": "<i>Sam</i>"}, "counters": [COUNTER]}
    )
    assert text.startswith("<b>&lt;i&gt;Sam&lt;/i&gt;</b>, since 1 March 2026")


def test_overrides_win_and_are_sandboxed(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "help.j2").write_text("Our group's own help.")
    (tmp_path / "en" / "days_none.j2").write_text("{{ who.__class__.__mro__ }}")
    renderer = Renderer(PlainDialect(), overrides=tmp_path)
    assert renderer.render(Template.HELP, {}) == "Our group's own help."
    assert "I don't know /x" in renderer.render(Template.UNKNOWN_COMMAND, {"command": "x"})
    with pytest.raises(RenderError):
        renderer.render(Template.DAYS_NONE, {"who": WHO})
