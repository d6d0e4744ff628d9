"""Sample contexts for the consent templates."""

from __future__ import annotations

from typing import Any

from bot.flows.consent import T

WHATS = ("clean_date", "contact", None)

SAMPLES: dict[str, list[dict[str, Any]]] = {
    T.ASK: [{"what": what} for what in WHATS],
    T.DECLINED: [{"what": what, "again": again} for what in WHATS for again in (True, False)],
    T.GIVEN: [{"what": what, "resend": resend} for what in WHATS for resend in (True, False)],
    T.STATUS: [
        {"given_on": "2026-11-29", "implied": False, "declined": False},
        {"given_on": "2026-11-29", "implied": True, "declined": False},
        {"given_on": None, "implied": False, "declined": True},
        {"given_on": None, "implied": False, "declined": False},
    ],
    T.OFF_CONFIRM: [{}],
    T.OFF_DONE: [{"had": True}, {"had": False}],
    T.OFF_KEPT: [{}],
    T.NOTICE: [{"sharing": True}, {"sharing": False}],
    T.LABEL_YES: [{}],
    T.LABEL_NO: [{}],
    T.LABEL_ERASE: [{}],
    T.LABEL_KEEP: [{}],
}
