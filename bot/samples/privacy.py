"""Sample contexts for the /mydata and /forgetme templates."""

from __future__ import annotations

from typing import Any

from bot.flows.privacy import FILENAME, T

SAMPLES: dict[str, list[dict[str, Any]]] = {
    T.MYDATA: [{"filename": FILENAME, "records": 1}, {"filename": FILENAME, "records": 42}],
    T.FORGETME_CONFIRM: [
        *({"typed_in_group": state, "linked": False} for state in (None, "removed", "visible")),
        {"typed_in_group": None, "linked": True},
    ],
    T.FORGETME_DONE: [{}],
    T.FORGETME_CANCELLED: [{}],
    T.LABEL_FORGET_YES: [{}],
    T.LABEL_FORGET_CANCEL: [{}],
}
