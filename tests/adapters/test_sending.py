"""Long messages go out part by part and a retry goes on from the next part; a line a group
reads about a member is shown at most once in a while."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from adapters.sending import Parts
from adapters.throttle import OncePer, Prompt, about
from bot.domain.records import OutboxMessage
from bot.domain.replies import Target
from bot.outbox import Unfinished


class Platform:
    """Takes parts and remembers them; refuses the parts it is told to, once each."""

    def __init__(self, *, refuse: tuple[int, ...] = ()) -> None:
        self.shown: list[tuple[str, int, bool]] = []
        self._refuse = set(refuse)

    async def send(self, part: str, number: int, last: bool) -> str:
        if number in self._refuse:
            self._refuse.discard(number)
            raise ConnectionError(f"part {number} refused")
        self.shown.append((part, number, last))
        return f"ref{number}"


# -- all at once --------------------------------------------------------------------------------


async def test_every_part_goes_in_order_and_the_last_ref_is_returned() -> None:
    platform = Platform()

    ref = await Parts().send(1, ["a", "b", "c"], platform.send)

    assert platform.shown == [("a", 1, False), ("b", 2, False), ("c", 3, True)]
    assert ref == "ref3"


async def test_a_retry_goes_on_from_the_part_that_failed() -> None:
    platform, parts = Platform(refuse=(2,)), Parts()
    with pytest.raises(ConnectionError):
        await parts.send(1, ["a", "b", "c"], platform.send)

    ref = await parts.send(1, ["a", "b", "c"], platform.send)

    assert [number for _, number, _ in platform.shown] == [1, 2, 3]
    assert ref == "ref3"


async def test_a_message_sent_whole_starts_from_its_first_part_next_time() -> None:
    platform, parts = Platform(), Parts()
    await parts.send(1, ["a", "b"], platform.send)

    await parts.send(1, ["a", "b"], platform.send)

    assert [number for _, number, _ in platform.shown] == [1, 2, 1, 2]


async def test_each_message_is_resumed_on_its_own() -> None:
    platform, parts = Platform(refuse=(2,)), Parts()
    with pytest.raises(ConnectionError):
        await parts.send(1, ["a", "b"], platform.send)

    await parts.send(2, ["x", "y"], platform.send)
    await parts.send(1, ["a", "b"], platform.send)

    assert [part for part, _, _ in platform.shown] == ["a", "x", "y", "b"]


async def test_a_part_taken_before_the_send_fails_is_never_sent_again() -> None:
    parts, shown = Parts(), []

    async def answer(part: str, number: int, last: bool) -> str:
        shown.append(part)
        parts.took(1, number)  # the member sees it; reading its id back then fails
        raise ConnectionError("no id")

    with pytest.raises(ConnectionError):
        await parts.send(1, ["a", "b"], answer)
    platform = Platform()
    await parts.send(1, ["a", "b"], platform.send)

    assert shown == ["a"]
    assert platform.shown == [("b", 2, True)]


async def test_a_forgotten_message_starts_again_from_its_first_part() -> None:
    platform, parts = Platform(refuse=(2,)), Parts()
    with pytest.raises(ConnectionError):
        await parts.send(1, ["a", "b"], platform.send)

    parts.forget(1)
    await parts.send(1, ["a", "b"], platform.send)

    assert [number for _, number, _ in platform.shown] == [1, 1, 2]


# -- one part a call ------------------------------------------------------------------------------


async def test_paced_parts_go_one_a_call_until_the_last() -> None:
    platform, parts = Platform(), Parts()

    for _ in range(2):
        with pytest.raises(Unfinished):
            await parts.send(1, ["a", "b", "c"], platform.send, paced=True)
    ref = await parts.send(1, ["a", "b", "c"], platform.send, paced=True)

    assert platform.shown == [("a", 1, False), ("b", 2, False), ("c", 3, True)]
    assert ref == "ref3"


async def test_a_paced_message_of_one_part_is_done_at_once() -> None:
    platform = Platform()

    assert await Parts().send(1, ["a"], platform.send, paced=True) == "ref1"
    assert platform.shown == [("a", 1, True)]


async def test_a_paced_retry_whose_text_came_out_shorter_sends_its_last_part() -> None:
    platform, parts = Platform(), Parts()
    for _ in range(2):
        with pytest.raises(Unfinished):
            await parts.send(1, ["a", "b", "c"], platform.send, paced=True)

    await parts.send(1, ["ab"], platform.send, paced=True)

    assert platform.shown[-1] == ("ab", 1, True)


# -- once in a while ------------------------------------------------------------------------------


def test_a_member_is_claimed_once_per_period() -> None:
    now = datetime(2026, 1, 1, 12, 0)
    once = OncePer(timedelta(minutes=10), lambda: now)

    assert not once.recently("sam")
    assert once.claim("sam")
    assert once.recently("sam")
    assert not once.claim("sam")
    assert once.claim("alex")  # each member on their own

    now += timedelta(minutes=10)
    assert not once.recently("sam")
    assert once.claim("sam")


def test_a_prompt_is_queued_once_and_shown_once_in_a_while() -> None:
    now = datetime(2026, 1, 1, 12, 0)
    prompt = Prompt(timedelta(hours=1), lambda: now)

    assert not prompt.lately("sam")
    assert prompt.queue("sam")
    assert not prompt.queue("sam"), "a burst of refusals queues one line"
    assert prompt.lately("sam")
    assert not prompt.shown_lately("sam")
    prompt.was_shown("sam")
    assert prompt.shown_lately("sam")

    now += timedelta(hours=1, minutes=1)
    assert not prompt.lately("sam")
    prompt.was_shown("sam")
    assert not prompt.queue("sam"), "not queued while the group has just read it"


def _row(context: dict[str, object]) -> OutboxMessage:
    return OutboxMessage(1, "t", "en", Target("x", chat="g"), dict(context), (), (), 0)


def test_a_prompt_is_about_the_member_its_context_names() -> None:
    assert about(_row({"who": {"id": 101, "name": "Sam"}})) == "101"
    assert about(_row({})) == ""
    assert about(_row({"who": "Sam"})) == ""
