"""The safeguarding feature's notice renderers: the urgent alert, the acknowledged card that
replaces every alert in place (`update_of`), and the reporter's status card."""

from __future__ import annotations

from bot.cards import RenderedCard
from bot.notices import NoticeRenderer
from db.engine import Database
from dialogs.safeguarding.cards import alert_card, status_card
from domain.notices import Notice
from domain.safeguarding import notices
from domain.safeguarding.summaries import alert_detail, reporter_status


def renderers(database: Database) -> dict[str, NoticeRenderer]:
    async def alert(notice: Notice) -> RenderedCard | None:
        concern_id, rung = notice.payload.get("concern_id"), notice.payload.get("rung")
        detail = await alert_detail(database, concern_id) if isinstance(concern_id, int) else None
        if detail is None:
            return None  # erased since: nothing to tell
        return alert_card(detail, rung if isinstance(rung, int) else 1)

    async def acknowledged(notice: Notice) -> RenderedCard | None:
        concern_id = notice.payload.get("concern_id")
        detail = await alert_detail(database, concern_id) if isinstance(concern_id, int) else None
        return alert_card(detail, 1) if detail is not None else None

    async def status(notice: Notice) -> RenderedCard | None:
        concern_id = notice.payload.get("concern_id")
        found = await reporter_status(database, concern_id) if isinstance(concern_id, int) else None
        if found is None:
            return None
        advice = notice.payload.get("advice")
        return status_card(
            found, advice if isinstance(advice, str) else None, notice.payload.get("social_care") is True
        )

    return {notices.ALERT: alert, notices.ACKNOWLEDGED: acknowledged, notices.STATUS: status}
