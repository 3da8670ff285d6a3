"""How each kind of notice becomes a Teams message, at the moment it is sent.

The domain queues notices (`domain.notices.Notice`: a kind, ids and facts); the notifier asks
the `NoticeRenderers` it was given for a message just before sending one. A feature registers
one renderer per kind it queues, in one line where the app is wired:

    renderers.register("people.added", people.render_added(database))

A renderer is `async (notice) -> RenderedMessage | None`. It reads what it needs through its
closure (the database, the clock) and builds the card from the feature's templates
(`bot.cards.render_card` returns a `RenderedCard`, which is a `RenderedMessage`). It answers
None when the record the notice names is gone (erased, withdrawn): the notice is cancelled,
not sent. A kind nobody registered fails at send time, once, and is not retried.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from domain.notices import Notice, Render, RenderedMessage, UnknownNoticeKind, check_kind

# One kind's renderer; `NoticeRenderers` is itself a `Render` for every registered kind.
NoticeRenderer = Render


class NoticeRenderers:
    """The renderer for each notice kind; call it with a notice to render that notice."""

    def __init__(self) -> None:
        self._by_kind: dict[str, NoticeRenderer] = {}

    @classmethod
    def of(cls, registrations: Iterable[Mapping[str, NoticeRenderer]]) -> NoticeRenderers:
        """One registry from each feature's own (kind -> renderer)."""
        renderers = cls()
        for registration in registrations:
            for kind, renderer in registration.items():
                renderers.register(kind, renderer)
        return renderers

    def register(self, kind: str, renderer: NoticeRenderer) -> None:
        """Render notices of `kind` with `renderer`; a kind has one renderer."""
        if check_kind(kind) in self._by_kind:
            raise ValueError(f"a renderer for {kind!r} notices is registered already")
        self._by_kind[kind] = renderer

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(self._by_kind)

    async def __call__(self, notice: Notice) -> RenderedMessage | None:
        renderer = self._by_kind.get(notice.kind)
        if renderer is None:
            raise UnknownNoticeKind(notice.kind)
        return await renderer(notice)
