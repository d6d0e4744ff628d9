"""Where answers go: the addressing rules on their own, and the turn that follows them."""

from __future__ import annotations

import ast
import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.addressing import NOTICE, Asker, Intent, Letter, Post, Reach, Row, Scene, address
from bot.domain.community import CommunitySettings
from bot.domain.inbound import Origin
from bot.domain.model import Community, Person
from bot.domain.replies import Attachment, Button, Priority, Reply, RoleGrant, Target
from bot.turn import Turn

PRIVATE_INTENTS = (Reach.PRIVATE, Reach.ALONE, Reach.FAREWELL)

ids = st.text("0123456789abc", min_size=1, max_size=6)
platforms = st.sampled_from(["console", "discord", "telegram"])
askers = st.builds(
    Asker,
    platform=platforms,
    chat=ids,
    person=ids,
    key=ids.map(lambda i: f"key:{i}"),
    private=st.booleans(),
    interaction=st.none() | ids,
)
community_keys = st.sampled_from(["c:1", "c:2"])
scenes = st.builds(
    Scene, asker=askers, fallback=st.none() | ids, community=st.none() | community_keys
)
people = st.builds(
    Person,
    key=ids.map(lambda i: f"key:{i}"),
    platform=platforms,
    platform_id=ids,
    name=ids,
)
letters = st.builds(
    Letter,
    person=people,
    chat=st.none() | ids,
    traceless=st.booleans(),
    about=st.none() | ids.map(lambda i: f"about:{i}"),
)
communities = st.builds(
    Community, key=community_keys, platform=platforms, platform_id=ids, chat=ids
)
posts = st.builds(
    Post,
    community=communities,
    chat=st.none() | ids,
    grant=st.none() | st.builds(RoleGrant, ids, ids, ids),
    about=st.none() | ids.map(lambda i: f"about:{i}"),
)
intents: st.SearchStrategy[Intent] = st.sampled_from(list(Reach)) | letters | posts


def platform_of(scene: Scene, intent: Intent) -> str:
    if isinstance(intent, Letter):
        return intent.person.platform
    if isinstance(intent, Post):
        return intent.community.platform
    assert scene.asker is not None
    return scene.asker.platform


def group_can_see(target: Target) -> bool:
    return target.person is None


def answers(rows: tuple[Row, ...]) -> list[Row]:
    return [row for row in rows if not row.notice]


# -- properties ----------------------------------------------------------------------------------


@given(scenes, st.sampled_from(PRIVATE_INTENTS) | letters)
def test_a_private_intent_never_reaches_a_target_the_group_can_see(
    scene: Scene, intent: Intent
) -> None:
    rows = address(scene, intent)
    assert len(answers(rows)) == 1
    for row in answers(rows):
        assert not group_can_see(row.target)
    reader = intent.person.platform_id if isinstance(intent, Letter) else scene.asker.person
    assert answers(rows)[0].target.person == reader


@given(scenes, intents)
def test_only_a_private_answer_to_a_group_command_that_cannot_be_unseen_adds_a_neutral_line(
    scene: Scene, intent: Intent
) -> None:
    rows = address(scene, intent)
    notices = [row for row in rows if row.notice]
    asker = scene.asker
    assert asker is not None
    if intent is Reach.PRIVATE and not asker.private and asker.interaction is None:
        assert len(notices) == 1
        assert rows[0] == answers(rows)[0], "the answer comes first; the line must follow it"
        # The neutral line: the group chat where they asked, and nothing else of the answer.
        assert notices[0].target == Target(asker.platform, chat=asker.chat)
    else:
        assert notices == []


@given(scenes, st.sampled_from([Reach.PUBLIC, Reach.HERE]))
def test_a_public_answer_is_visible_in_the_chat_where_it_was_asked(
    scene: Scene, intent: Reach
) -> None:
    asker = scene.asker
    assert asker is not None
    if intent is Reach.HERE and asker.unseen:
        return  # answered unseen, on the interaction: the private rule holds instead
    (row,) = address(scene, intent)
    if asker.private:
        assert row.target.person == asker.person  # their private chat is where they asked
    else:
        assert group_can_see(row.target)
        assert row.target.chat == asker.chat
        assert row.target.interaction == asker.interaction


@given(scenes, intents)
def test_every_row_names_the_person_it_is_about(scene: Scene, intent: Intent) -> None:
    rows = address(scene, intent)
    assert rows
    for row in rows:
        if isinstance(intent, Letter):
            assert row.about == (intent.about or intent.person.key)
        elif isinstance(intent, Post):
            assert row.about == intent.about  # whom the flow says it is about, if anyone
        elif intent is Reach.FAREWELL:
            # The farewell names nobody and no group: it outlives the erasure it confirms.
            assert row.about is None
            assert row.target.chat is None
        else:
            assert scene.asker is not None
            assert row.about == scene.asker.key


@given(scenes, intents)
def test_rows_go_to_one_platform_and_never_edit_or_withdraw(scene: Scene, intent: Intent) -> None:
    for row in address(scene, intent):
        assert row.target.platform == platform_of(scene, intent)
        assert (row.target.edit_of, row.target.withdraw) == (None, None)
        assert row.target.grant == (intent.grant if isinstance(intent, Post) else None)


@given(scenes, posts)
def test_a_post_is_for_the_group_and_answers_where_asked_only_in_its_own_community(
    scene: Scene, post: Post
) -> None:
    (row,) = address(scene, post)
    assert group_can_see(row.target)
    asker = scene.asker
    assert asker is not None
    if not asker.private and post.chat is None and scene.community == post.community.key:
        assert (row.target.chat, row.target.interaction) == (asker.chat, asker.interaction)
    else:
        assert row.target.chat == (post.chat or post.community.chat)
        assert row.target.interaction is None


# -- the rules, one example each -----------------------------------------------------------------

GROUP = Asker("telegram", "-100", "7", "telegram:7")
ON_INTERACTION = Asker("discord", "chan", "7", "discord:7", interaction="tok")
IN_PRIVATE = Asker("telegram", "7", "7", "telegram:7", private=True)


def test_an_answer_goes_where_the_member_asked() -> None:
    assert address(Scene(GROUP), Reach.HERE) == (
        Row(Target("telegram", chat="-100"), "telegram:7"),
    )


def test_an_answer_on_an_interaction_in_a_group_stays_unseen() -> None:
    assert address(Scene(ON_INTERACTION), Reach.HERE) == (
        Row(Target("discord", chat="chan", person="7", interaction="tok"), "discord:7"),
    )


def test_an_answer_to_a_private_chat_stays_in_it() -> None:
    for reach in (Reach.HERE, Reach.PUBLIC, Reach.PRIVATE, Reach.ALONE):
        assert address(Scene(IN_PRIVATE), reach) == (
            Row(Target("telegram", person="7"), "telegram:7"),
        )


def test_a_public_answer_on_an_interaction_is_seen_by_the_group() -> None:
    assert address(Scene(ON_INTERACTION), Reach.PUBLIC) == (
        Row(Target("discord", chat="chan", interaction="tok"), "discord:7"),
    )


def test_a_private_answer_to_a_group_command_leaves_one_neutral_line_after_it() -> None:
    assert address(Scene(GROUP), Reach.PRIVATE) == (
        Row(Target("telegram", chat="-100", person="7"), "telegram:7"),
        Row(Target("telegram", chat="-100"), "telegram:7", notice=True),
    )


def test_a_private_answer_on_an_interaction_needs_no_neutral_line() -> None:
    assert address(Scene(ON_INTERACTION), Reach.PRIVATE) == (
        Row(Target("discord", chat="chan", person="7", interaction="tok"), "discord:7"),
    )


def test_an_answer_for_them_alone_leaves_no_line_in_the_group() -> None:
    assert address(Scene(GROUP), Reach.ALONE) == (
        Row(Target("telegram", chat="-100", person="7"), "telegram:7"),
    )


def test_a_farewell_holds_only_the_address_of_their_private_chat() -> None:
    assert address(Scene(ON_INTERACTION, fallback="news"), Reach.FAREWELL) == (
        Row(Target("discord", person="7", interaction="tok"), None),
    )


def test_a_letter_points_to_the_private_chat_from_the_fallback_chat_unless_told_otherwise() -> None:
    ann = Person("discord:9", "discord", "9", "Ann")
    scene = Scene(GROUP, fallback="news")
    assert address(scene, Letter(ann)) == (
        Row(Target("discord", chat="news", person="9"), ann.key),
    )
    assert address(scene, Letter(ann, chat="chan")) == (
        Row(Target("discord", chat="chan", person="9"), ann.key),
    )
    assert address(Scene(), Letter(ann)) == (Row(Target("discord", person="9"), ann.key),)


def test_a_traceless_letter_names_no_group_and_may_be_about_someone_else() -> None:
    ann = Person("discord:9", "discord", "9", "Ann")
    letter = Letter(ann, chat="chan", traceless=True, about="discord:7")
    assert address(Scene(GROUP, fallback="news"), letter) == (
        Row(Target("discord", person="9"), "discord:7"),
    )


def test_a_post_about_the_community_where_they_asked_answers_them_there() -> None:
    group = Community("discord:g", "discord", "g", "general")
    scene = Scene(ON_INTERACTION, community=group.key)
    assert address(scene, Post(group)) == (
        Row(Target("discord", chat="chan", interaction="tok"), None),
    )
    assert address(scene, Post(group, chat="news", about="discord:7")) == (
        Row(Target("discord", chat="news"), "discord:7"),
    )
    elsewhere = Community("discord:h", "discord", "h", "lobby")
    assert address(scene, Post(elsewhere)) == (Row(Target("discord", chat="lobby"), None),)
    assert address(Scene(community=group.key), Post(group)) == (
        Row(Target("discord", chat="general"), None),
    )


def test_only_an_event_a_member_caused_can_be_answered() -> None:
    with pytest.raises(ValueError, match="someone to answer"):
        address(Scene(fallback="news"), Reach.HERE)


def test_no_flow_addresses_a_reply_itself() -> None:
    """Flows say what an answer is for; only ``address`` (and the turn) decide where it goes."""
    flows = Path(__file__).resolve().parents[2] / "bot" / "flows"
    found = []
    for path in sorted(flows.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Name) and node.id == "Target":
                found.append(f"{path.name}:{node.lineno} Target")
            elif isinstance(node, ast.alias) and node.name == "Target":
                found.append(f"{path.name}:{node.lineno} imports Target")
            elif isinstance(node, ast.Attribute) and node.attr in {"send", "_queue"}:
                found.append(f"{path.name}:{node.lineno} .{node.attr}")
    assert found == []


# -- the turn that follows them ------------------------------------------------------------------


class Outbox:
    """Just enough of an outbox to see what a turn queues."""

    def __init__(self) -> None:
        self.rows: list[tuple[Reply, str, str | None, int | None]] = []

    async def enqueue(
        self,
        reply: Reply,
        locale: str,
        now: datetime,
        *,
        about: str | None = None,
        follows: int | None = None,
    ) -> int:
        self.rows.append((reply, locale, about, follows))
        return len(self.rows)


class Tx:
    """Just enough of a transaction for a turn to queue into."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox


NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
MEMBER = Person("telegram:7", "telegram", "7", "Sam")
HOME = Community("telegram:-100", "telegram", "-100", "-100", CommunitySettings(locale="de"))


def group_turn(outbox: Outbox, **origin: Any) -> Turn:
    asked = Origin("telegram", "-100", "7", "Sam", community="-100", **origin)
    return Turn(Tx(outbox), NOW, asked, MEMBER, HOME)  # type: ignore[arg-type]


async def test_the_neutral_line_carries_nothing_of_the_answer() -> None:
    outbox = Outbox()
    turn = group_turn(outbox)
    answer = await turn.say(
        "secret",
        {"days": 90},
        private=True,
        attachment=Attachment("data.json", {"days": 90}),
        buttons=[Button("label_x", "act")],
        priority=Priority.URGENT,
    )
    (said, _, about, _), (notice, _, notice_about, follows) = outbox.rows
    assert said.context == {"who": MEMBER.ref, "days": 90}
    assert said.buttons == (Button("label_x", "act"),)
    assert said.attachment == Attachment("data.json", {"days": 90})
    assert about == notice_about == MEMBER.key
    assert notice == Reply(
        NOTICE, Target("telegram", chat="-100"), {"who": MEMBER.ref}, priority=Priority.URGENT
    )
    assert follows == answer


async def test_a_scoped_turn_leaves_the_turn_it_came_from_as_it_was() -> None:
    outbox = Outbox()
    turn = Turn(Tx(outbox), NOW)  # type: ignore[arg-type]
    scoped = turn.scoped(community=HOME, person=MEMBER)
    assert (turn.community, turn.person, turn.locale) == (None, None, "en")
    assert (scoped.community, scoped.person, scoped.locale) == (HOME, MEMBER, "de")
    assert scoped.scoped() == scoped, "None keeps what the turn has"
    with pytest.raises(dataclasses.FrozenInstanceError):
        turn.community = HOME  # type: ignore[misc]
    # What the scoped turn queued is the turn's too: the core wakes the senders from it.
    await scoped.tell(MEMBER, "hello")
    assert turn.platforms == {"telegram"}
    assert outbox.rows[0][1] == "de"
    assert outbox.rows[0][0].target == Target("telegram", chat="-100", person="7")
