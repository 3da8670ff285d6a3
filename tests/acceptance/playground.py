"""Drive Microsoft 365 Agents Playground (the Teams-like test client) with Playwright.

Three layers, each usable alone:

* :func:`run_playground` starts the Playground CLI from ``node_modules`` on a free
  port, waits until it serves and kills its whole process group at the end.
* :func:`launch_chromium` starts Debian's Chromium headless through Playwright
  (nothing is downloaded: ``playwright install`` is never needed).
* :class:`Playground` is a page object over a Playwright ``Page`` showing the
  Playground UI: send text, @mention the bot, read the bot's replies, fill and
  submit Adaptive Cards, switch between personal chat, group chat and channels,
  trigger install / conversationUpdate activities, and read the raw traffic
  between the Playground and the bot.

:func:`open_playground` gives a fresh page on a running server and browser
(share those per test session: starting them costs ~1.2 s, a page ~2.5 s), and
:func:`playground_session` combines all three for a single script::

    with playground_session("http://127.0.0.1:3978/api/messages") as pg:
        pg.wait_for_bot_message("Welcome")
        pg.send("hello")
        assert "hello" in pg.wait_for_bot_message("hello")

Selectors were found by inspecting version 0.2.28 of the Playground; the ones
that depend on its DOM structure rather than on roles and labels are collected
in ``_COLLECT_JS`` and the ``_SEL_*`` constants (see tests/acceptance/README.md).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from playwright.sync_api import Browser, Locator, Page, Playwright, WebSocket, expect, sync_playwright

from scripts.playground_as import config_as
from tests.acceptance.processes import kill_group, log_tail
from tests.fixtures.serving import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
PLAYGROUND_BIN = REPO_ROOT / "node_modules" / ".bin" / "agentsplayground"
CHROMIUM_PATH = os.environ.get("ACCEPTANCE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS: tuple[str, ...] = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
)
# The Playground's configuration for this project: the bot's real name (the name staff @mention),
# the demo users, the group chat and the team. scripts/run uses the same file.
PLAYGROUND_CONFIG = REPO_ROOT / ".m365agentsplayground.yml"
DEFAULT_BOT_NAME = "LNCIP assistant"
DEFAULT_TIMEOUT = 15.0  # seconds, for every wait unless a call says otherwise

Scope = Literal["personal", "group", "channel"]
Pattern = str | re.Pattern[str]

# Kinds offered by the UI menu "Mock an Activity" (text of the menu item).
MockActivity = Literal[
    "Install application",
    "Uninstall application",
    "Add user",
    "Add application",
    "Remove user",
    "Remove application",
    # enabled only while a channel is open:
    "Add channel",
    "Remove channel",
    "Remove team",
    "Rename channel",
    "Rename team",
]

# --- selectors that depend on the Playground's DOM (not on roles/labels) ----------
_SEL_EDITOR = '[data-lexical-editor="true"]'  # every compose box is a Lexical editor
_SEL_CARD = ".ac-adaptiveCard"  # root of a rendered Adaptive Card
_SEL_TYPEAHEAD = '[role="listbox"][aria-label="Typeahead menu"]'  # the @mention popup
# the UI's live feeds: conversation updates (createMessage …) and the log panel (traffic)
_WS_STREAM_PATHS = ("/_ws_conversation/v1/conversations/stream", "/_ws/log/stream")

# Finds the bot's messages in the conversation pane (chat layout and channel
# threads), numbers each one once, in the order this script first sees it
# (data-pgd-seq), and returns them in that order.
#  * chat (personal/group):  <item><div aria-label="Message header">…</div>
#                              <div><div><avatar/></div><div class="fai-OutputCard">text|card</div></div></item>
#  * channel thread reply:   <item><div><avatar/>…author…time…</div><div>text|card</div></item>
#  * channel post (root):    <div role=group><div><div id=fui-CardHeader__header…><div><avatar/>…</div></div></div>
#                              <div>text|card</div>…replies…</div>
_COLLECT_JS = r"""
(() => {
  const EXCLUDE = '[role="region"][aria-label="Chat and Teams Channel"], [role="treeitem"], ' +
                  '[role="listbox"], [role="menu"], [role="dialog"]';
  window.__pgdSeq = window.__pgdSeq || 0;
  window.__pgdCollect = (botName) => {
    const out = [];
    for (const av of document.querySelectorAll('span[role="img"]')) {
      if (av.getAttribute('aria-label') !== botName || av.closest(EXCLUDE)) continue;
      const holder = av.parentElement;
      if (!holder || !holder.parentElement) continue;
      let item, content;
      const output = holder.parentElement.querySelector(':scope > .fai-OutputCard');
      const postHeader = av.closest('[id^="fui-CardHeader__header"]');
      if (output) {                       // chat layout
        item = holder.parentElement.parentElement;
        content = output;
      } else if (postHeader) {            // channel: a post of the bot's own (thread root)
        item = postHeader.closest('[role="group"]');
        content = postHeader.parentElement && postHeader.parentElement.nextElementSibling;
      } else {                            // channel: a reply in a thread (avatar in the header row)
        item = holder.parentElement;
        content = holder.nextElementSibling;
      }
      if (!item || !content) continue;
      if (!item.dataset.pgdSeq) item.dataset.pgdSeq = String(++window.__pgdSeq);
      out.push({
        seq: Number(item.dataset.pgdSeq),
        text: (content.innerText || '').trim(),
        cards: content.querySelectorAll('.ac-adaptiveCard').length,
      });
    }
    out.sort((a, b) => a.seq - b.seq);
    return out;
  };
  window.__pgdSignature = (botName) =>
    JSON.stringify(window.__pgdCollect(botName).map(m => [m.seq, m.text, m.cards]));
})();
"""


_SELECTED_JS = """
(label) => {
  const items = [...document.querySelectorAll('[role="treeitem"]')];
  const target = items.find(e => e.getAttribute('aria-label') === label);
  const others = items.filter(e => e !== target);
  return !!target && others.length > 0 && others.every(o => o.className !== target.className);
}
"""


# Work-around for a bug of the Playground (0.2.28): on clicking an Action.Submit whose
# ``data`` holds a Teams action (``"msteams"``/``"msTeams": {"type": "imBack", ...}``),
# its Adaptive Cards renderer serialises that data *into the card JSON it was parsed
# from*, which the UI's store (immer) has frozen: "TypeError: Cannot add property
# msTeams, object is not extensible" / "Cannot assign to read only property 'type'",
# and nothing is sent (the button does nothing).  Real Teams handles these buttons.
# Keeping just those objects unfrozen lets the click through; the Playground then sends
# an ordinary submit (``value`` = data + inputs, msTeams included; it does NOT turn an
# imBack into a text message as Teams does).
_UNFREEZE_SUBMIT_DATA_JS = r"""
(() => {
  const freeze = Object.freeze;
  const TEAMS_ACTIONS = ['imBack', 'invoke', 'messageBack', 'signin', 'task/fetch'];
  Object.freeze = function (o) {
    if (o && typeof o === 'object' && !Array.isArray(o) &&
        ('msteams' in o || 'msTeams' in o || TEAMS_ACTIONS.includes(o.type))) {
      return o;
    }
    return freeze(o);
  };
})();
"""


class PlaygroundError(RuntimeError):
    """The Playground or the browser did not do what the driver expected."""


# ---------------------------------------------------------------- processes ----


@dataclass(frozen=True)
class PlaygroundServer:
    """A running Playground CLI."""

    url: str  # e.g. http://127.0.0.1:41234 (open this in the browser)
    port: int
    app_endpoint: str  # the bot's /api/messages URL the Playground posts to
    service_url: str  # what the bot sees as activity.serviceUrl (the mock connector)
    pid: int  # process group leader
    log_path: Path  # stdout+stderr of the CLI (a temporary file, kept only if the block raised)
    startup_seconds: float


def playground_command(app_endpoint: str, port: int, *, conversation_id: str | None = None) -> list[str]:
    """The exact command line used to start the Playground."""
    cmd = [
        str(PLAYGROUND_BIN),
        "start",
        "--app-endpoint",
        app_endpoint,
        "--port",
        str(port),
        "--channel-id",
        "msteams",
        "--disable-telemetry",
    ]
    if conversation_id:
        cmd += ["--conversation-id", conversation_id]
    return cmd


@contextlib.contextmanager
def run_playground(
    app_endpoint: str,
    *,
    port: int | None = None,
    conversation_id: str | None = None,
    config_path: Path | None = None,
    log_path: Path | None = None,
    startup_timeout: float = 60.0,
) -> Iterator[PlaygroundServer]:
    """Start ``agentsplayground start`` and stop it (and all its children) on exit.

    ``conversation_id`` pins the personal chat's id (otherwise a new UUID every
    start); ``config_path`` points at a ``.m365agentsplayground.yml`` with other
    users, bot name, team and chat ids (default: the project's own,
    ``PLAYGROUND_CONFIG``).  The CLI runs in a temporary working
    directory so that it writes no ``devTools/`` folder into the checkout.
    """
    if not PLAYGROUND_BIN.exists():
        raise PlaygroundError(f"{PLAYGROUND_BIN} is missing: run scripts/install-acceptance-deps.sh")
    port = port or free_port()
    workdir = Path(tempfile.mkdtemp(prefix="playground-"))
    log_path = log_path or workdir / "playground.log"
    env = {
        **os.environ,
        "TEAMSAPPTESTER_BROWSER": "none",  # do not try to open a browser itself
        "M365_AGENTS_PLAYGROUND_LOGFILE": str(workdir / "m365agentsplayground.log"),
    }
    env["M365_AGENTS_PLAYGROUND_CONFIG_PATH"] = str(Path(config_path or PLAYGROUND_CONFIG).resolve())
    cmd = playground_command(app_endpoint, port, conversation_id=conversation_id)
    started = time.monotonic()
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        cmd,
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # own process group: killpg reaches every child
    )
    listening: dict[str, int] = {}
    ready = threading.Event()

    def pump() -> None:
        assert proc.stdout is not None
        for line in iter(proc.stdout.readline, b""):
            log.write(line)
            log.flush()
            match = re.search(rb"Listening on (\d+)", line)
            if match and not ready.is_set():
                listening["port"] = int(match.group(1))
                ready.set()
        ready.set()  # EOF: the process ended

    reader = threading.Thread(target=pump, name="playground-log", daemon=True)
    reader.start()
    failed = True
    try:
        if not ready.wait(startup_timeout) or "port" not in listening:
            raise PlaygroundError(f"Playground did not start; see {log_path}:\n{log_tail(log_path)}")
        # The CLI silently falls back to a random port when the asked one is taken.
        actual = listening["port"]
        url = f"http://127.0.0.1:{actual}"
        _wait_http_ok(url + "/", started + startup_timeout)
        yield PlaygroundServer(
            url=url,
            port=actual,
            app_endpoint=app_endpoint,
            service_url=f"http://localhost:{actual}/_connector",
            pid=proc.pid,
            log_path=log_path,
            startup_seconds=time.monotonic() - started,
        )
        failed = False
    finally:
        kill_group(proc)
        reader.join(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()  # else a ResourceWarning (an error under filterwarnings=error)
        log.close()
        # keep the temporary folder (with the CLI's log) only when something failed
        if not failed or log_path.parent != workdir:
            shutil.rmtree(workdir, ignore_errors=True)


def _wait_http_ok(url: str, deadline: float) -> None:
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:
            last = exc
        time.sleep(0.05)  # poll interval while the server comes up
    raise PlaygroundError(f"{url} did not answer 200 in time ({last})")


@contextlib.contextmanager
def launch_chromium(*, headless: bool = True, slow_mo: float = 0) -> Iterator[tuple[Playwright, Browser]]:
    """Debian's Chromium through Playwright, with the flags that keep it offline."""
    if not Path(CHROMIUM_PATH).exists():
        raise PlaygroundError(f"{CHROMIUM_PATH} is missing: run scripts/install-acceptance-deps.sh")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM_PATH, headless=headless, args=list(CHROMIUM_ARGS), slow_mo=slow_mo
        )
        try:
            yield pw, browser
        finally:
            browser.close()


@dataclass
class SessionTimings:
    playground_seconds: float = 0.0  # CLI spawn until it serves HTTP
    chromium_seconds: float = 0.0  # Playwright driver + Chromium launch
    page_seconds: float = 0.0  # goto until the compose box is ready (bot reachable)


@contextlib.contextmanager
def open_playground(
    browser: Browser,
    server: PlaygroundServer,
    *,
    bot_name: str = DEFAULT_BOT_NAME,
    viewport: tuple[int, int] = (1400, 1000),
    timeout: float = DEFAULT_TIMEOUT,
) -> Iterator[Playground]:
    """A fresh browser context + page on a running Playground, opened and ready.

    Meant for a session-scoped server and browser with one page per test.  Every
    page load starts the UI empty and sends the bot installationUpdate +
    conversationUpdate for the personal chat again (so the welcome comes again);
    the conversation ids stay those of the server.  Keep one page open per
    server at a time: every open page receives every bot message.
    """
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    try:
        pg = Playground(context.new_page(), bot_name=bot_name, timeout=timeout, server=server)
        started = time.monotonic()
        pg.open(server.url)
        pg.timings = SessionTimings(page_seconds=time.monotonic() - started)
        yield pg
    finally:
        context.close()


@contextlib.contextmanager
def playground_as(
    first_name: str, app_endpoint: str, browser: Browser, folder: Path, *, timeout: float = DEFAULT_TIMEOUT
) -> Iterator[Playground]:
    """The Playground restarted with the demo person `first_name` (e.g. "megan") as its current
    user, in a personal chat of their own, and a page open on it (the welcome not yet awaited)."""
    config = config_as(first_name, PLAYGROUND_CONFIG, folder / f"playground-as-{first_name.lower()}.yml")
    with run_playground(app_endpoint, config_path=config) as server:
        with open_playground(browser, server, timeout=timeout) as pg:
            yield pg


@contextlib.contextmanager
def playground_session(
    app_endpoint: str,
    *,
    bot_name: str = DEFAULT_BOT_NAME,
    conversation_id: str | None = None,
    config_path: Path | None = None,
    headless: bool = True,
    viewport: tuple[int, int] = (1400, 1000),
    timeout: float = DEFAULT_TIMEOUT,
) -> Iterator[Playground]:
    """Playground server + Chromium + an opened :class:`Playground` page, all stopped on exit.

    The bot at ``app_endpoint`` should already be listening: on page load the
    Playground waits up to 15 s for it, then sends installationUpdate +
    conversationUpdate for the personal chat.  ``pg.timings`` tells where the
    start-up time went.
    """
    with run_playground(app_endpoint, conversation_id=conversation_id, config_path=config_path) as server:
        started = time.monotonic()
        with launch_chromium(headless=headless) as (_pw, browser):
            chromium_seconds = time.monotonic() - started
            with open_playground(browser, server, bot_name=bot_name, viewport=viewport, timeout=timeout) as pg:
                assert pg.timings is not None
                pg.timings.playground_seconds = server.startup_seconds
                pg.timings.chromium_seconds = chromium_seconds
                yield pg


# ------------------------------------------------------------------- traffic ----


@dataclass(frozen=True)
class TrafficEntry:
    """One HTTP exchange between the Playground and the bot, as its log panel shows it."""

    direction: Literal["to_bot", "from_bot"]
    name: str  # activity type: message, invoke, conversationUpdate, installationUpdate, ...
    conversation_id: str | None
    activity: dict[str, Any]  # the request body (the activity)
    status: int | None  # HTTP status of the answer (the bot's for to_bot)
    response: Any  # answer body (e.g. an invoke response)


@dataclass(frozen=True)
class BotMessage:
    seq: int  # order in which the driver first saw it (per page load)
    text: str  # visible text, card labels and button titles included
    cards: int  # number of Adaptive Cards rendered in it


# ----------------------------------------------------------------- page object ----


class Playground:
    """Page object over the Playground UI (version 0.2.28)."""

    def __init__(
        self,
        page: Page,
        *,
        bot_name: str = DEFAULT_BOT_NAME,
        timeout: float = DEFAULT_TIMEOUT,
        server: PlaygroundServer | None = None,
        unfreeze_submit_data: bool = False,
    ) -> None:
        """``unfreeze_submit_data``: work around the Playground's frozen-card bug (see
        ``_UNFREEZE_SUBMIT_DATA_JS``); False shows the Playground as a person gets it."""
        self.page = page
        self.bot_name = bot_name
        self.timeout = timeout
        self.server = server
        self.timings: SessionTimings | None = None
        self.scope: Scope = "personal"
        self.traffic: list[TrafficEntry] = []
        self.cards_sent: list[dict[str, Any]] = []  # Adaptive Card JSON the bot sent, oldest first
        self._mark = 0  # bot messages with seq <= _mark have been consumed
        self._texts: dict[int, str] = {}  # their texts then (to notice updated messages)
        self._traffic_mark = 0  # len(traffic) at the last action
        self._visited: set[str] = set()  # tree items opened since the page was loaded
        self._ws: WebSocket | None = None
        self.page_errors: list[str] = []  # uncaught exceptions in the Playground's page
        page.set_default_timeout(timeout * 1000)
        page.add_init_script(script=_COLLECT_JS)
        if unfreeze_submit_data:
            page.add_init_script(script=_UNFREEZE_SUBMIT_DATA_JS)
        page.on("websocket", self._on_websocket)
        page.on("pageerror", lambda error: self.page_errors.append(f"{error.name}: {error.message}"))

    # --- setup -------------------------------------------------------------------

    def open(self, url: str | None = None) -> None:
        """Load the Playground and wait until the personal chat's compose box is ready.

        Every page load makes the Playground send installationUpdate (action add) and
        conversationUpdate (membersAdded: user and bot) for the personal chat, so the
        bot's welcome arrives once per load.  Use :meth:`wait_for_bot_message` for it.
        """
        if url is None:
            if self.server is None:
                raise ValueError("open() needs a url when the Playground was not started by this driver")
            url = self.server.url
        self._mark = 0
        self._texts = {}
        self._traffic_mark = len(self.traffic)
        self._visited = {"Personal Chat"}
        self.scope = "personal"
        self.page.goto(url, wait_until="domcontentloaded")
        # The page asks the server for its config, which waits (up to 15 s) until the
        # bot endpoint answers; the compose box appears after that.
        expect(self._chat_editor()).to_be_visible(timeout=max(self.timeout, 30.0) * 1000)
        self._settle()

    # --- navigation ----------------------------------------------------------------

    def switch_to(self, scope: Scope, *, channel: str = "General") -> None:
        """Open the personal chat, the group chat or a team channel ("General", "Announcements").

        The first visit of a conversation per page load sends the bot installationUpdate
        + conversationUpdate (membersAdded = the bot) for it.  Messages already shown
        there count as read; wait for new ones with :meth:`wait_for_bot_message`.
        """
        if scope == "personal":
            item = self.page.get_by_role("treeitem", name="Personal Chat", exact=True)
        elif scope == "group":
            item = self.page.get_by_role("treeitem", name="Group Chat", exact=True)
        elif scope == "channel":
            item = self.page.get_by_role("treeitem", name=re.compile(rf" - {re.escape(channel)}$"))
        else:
            raise ValueError(f"unknown scope {scope!r}")
        label = item.get_attribute("aria-label") or ""
        before = self._max_seq()  # numbers everything the old view shows
        self._traffic_mark = len(self.traffic)
        item.click()
        # The open conversation's tree item is styled by a class of its own: wait until the
        # clicked item's class differs from every other item's (no hashed class names used).
        self.page.wait_for_function(_SELECTED_JS, arg=label)
        if scope == "channel":
            expect(self._new_post_button()).to_be_visible()
        else:
            expect(self._new_post_button()).to_have_count(0)
            expect(self._chat_editor()).to_be_visible()
        self.scope = scope
        self._settle()
        if label in self._visited:
            self._mark_read()  # what was already there counts as read
        else:
            # First visit in this page load: all the bot says here (the welcome sent in
            # answer to the installationUpdate/conversationUpdate this visit triggers) is new.
            self._visited.add(label)
            self._mark = max(before, self._mark)

    # --- sending -------------------------------------------------------------------

    def send(self, text: str, *, in_thread: bool = False) -> None:
        """Type ``text`` and send it, as the current user (Alex Wilber).

        In a group chat or channel the Playground (like Teams) only delivers
        messages that @mention the bot: use :meth:`mention_bot_and_send` there.
        In a channel the text starts a new post, or with ``in_thread=True`` replies
        in the thread of the newest post.  "\n" is typed as Shift+Enter, but the
        Playground (0.2.28) drops line breaks from the activity's text.
        """
        editor = self._compose_editor(in_thread)
        self._before_send()
        editor.click()
        self._type(text)
        self._submit(editor, in_thread)

    def mention_bot_and_send(self, text: str, *, in_thread: bool = False) -> None:
        """Send "@<bot> text" with a real mention (entity + <at>…</at> in activity.text).

        The Playground creates a mention only from its typeahead: typing "@" opens
        a popup listing the bot and the users, and choosing the bot there inserts
        the mention.  Typing "@Test Bot" by hand yields plain text (not delivered).
        """
        editor = self._compose_editor(in_thread)
        self._before_send()
        editor.click()
        self.page.keyboard.type("@")
        popup = self.page.locator(_SEL_TYPEAHEAD).filter(has=self.page.get_by_role("menuitem"))
        popup.get_by_role("menuitem").filter(has_text=self.bot_name).first.click()
        if text:
            self._type(" " + text.lstrip())
        self._submit(editor, in_thread)

    # --- reading -------------------------------------------------------------------

    def bot_messages(self) -> list[BotMessage]:
        """All bot messages shown in the open conversation, in arrival order."""
        raw = self.page.evaluate("name => window.__pgdCollect(name)", self.bot_name)
        return [BotMessage(seq=int(m["seq"]), text=str(m["text"]), cards=int(m["cards"])) for m in raw]

    def last_bot_messages(self, n: int = 1) -> list[str]:
        """Visible text of the last ``n`` bot messages in the open conversation."""
        return [m.text for m in self.bot_messages()[-n:]] if n > 0 else []

    def wait_for_bot_message(
        self, containing: Pattern = "", timeout: float | None = None, *, include_updates: bool = False
    ) -> str:
        """Wait for a *new* bot message matching ``containing`` and return its text.

        New means: arrived after the last send/switch/card action, and after the
        message returned by the previous call.  ``containing`` is a substring or a
        compiled regex (searched).  Raises AssertionError listing what did arrive.

        ``include_updates=True`` also accepts an older message whose text changed since
        that action: a card replaced by an Action.Execute response or by the bot's
        update_activity keeps its place (and its seq) in the conversation.
        """
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            messages = self.bot_messages()
            fresh = [
                m
                for m in messages
                if m.seq > self._mark or (include_updates and m.seq in self._texts and self._texts[m.seq] != m.text)
            ]
            for message in fresh:
                if _matches(containing, message.text):
                    self._mark = max(self._mark, message.seq)
                    self._texts[message.seq] = message.text
                    return message.text
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen = [m.text for m in fresh]
                raise AssertionError(
                    f"no new message from {self.bot_name} matching {containing!r} within the timeout; "
                    f"new bot messages: {seen!r}; last ones: {self.last_bot_messages(3)!r}"
                )
            signature = json.dumps([[m.seq, m.text, m.cards] for m in messages], separators=(",", ":"))
            with contextlib.suppress(Exception):  # Playwright TimeoutError: loop reports it
                self.page.wait_for_function(
                    "([name, sig]) => window.__pgdSignature(name) !== sig",
                    arg=[self.bot_name, signature],
                    timeout=remaining * 1000,
                    polling=100,
                )

    # --- Adaptive Cards --------------------------------------------------------------

    def latest_card(self) -> Locator:
        """The newest Adaptive Card the bot shows in the open conversation."""
        with_cards = [m for m in self.bot_messages() if m.cards]
        if not with_cards:
            raise AssertionError(f"{self.bot_name} shows no Adaptive Card here")
        return self.page.locator(f'[data-pgd-seq="{with_cards[-1].seq}"] {_SEL_CARD}').last

    def wait_until_quiet(self, quiet: float = 1.5, timeout: float | None = None) -> None:
        """Wait until no new bot message has come for `quiet` seconds (at most `timeout`): the
        notices held for this person arrive when their chat opens, and a card re-drawn by the
        chat meanwhile would lose what was typed into it."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        seen, since = len(self.bot_messages()), time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - since < quiet:
            self.page.wait_for_timeout(250)
            now_seen = len(self.bot_messages())
            if now_seen != seen:
                seen, since = now_seen, time.monotonic()

    def card_with(self, shown: str) -> Locator:
        """The newest Adaptive Card in the chat that shows `shown` (notices may come in between:
        act on the card about your record, not simply the newest)."""
        return self.page.locator(_SEL_CARD, has_text=shown).last

    def click_card_button(self, title: str, *, card: Locator | None = None) -> None:
        """Press a card action (Action.Submit / Action.Execute / Action.ShowCard …) by its title,
        on `card` or else on the newest card that has it (a notice may have come in after it).

        Action.Submit sends a ``message`` activity with ``text`` absent, ``value`` =
        the action's ``data`` merged with every input (all values strings) and
        ``replyToId`` = the card's message id.  The card stays as it is.

        Action.Execute sends an ``invoke`` named ``adaptiveCard/action`` with
        ``value.action.data`` = data merged with the inputs; the card returned in the
        invoke response replaces the old one in place, followed by the line "Your
        response was sent to the app": wait for it with
        ``wait_for_bot_message(..., include_updates=True)``.
        """
        self._settle()
        if card is None:
            # The newest card, unless a notice (another card) arrived after the one with the button.
            card = self.latest_card()
            if not card.get_by_role("button", name=title, exact=True).count():
                cards = self.page.locator(_SEL_CARD)
                card = cards.filter(has=self.page.get_by_role("button", name=title, exact=True)).last
        self._mark_read()
        card.get_by_role("button", name=title, exact=True).click()

    def card_link_url(self, title: str, *, card: Locator | None = None) -> str:
        """URL of an Action.OpenUrl (rendered as a link-role button whose title is the URL)."""
        card = card or self.latest_card()
        url = card.get_by_role("link", name=title, exact=True).get_attribute("title")
        if not url:
            raise AssertionError(f"card action {title!r} has no URL")
        return url

    def fill_card_input(
        self,
        label_or_id: str,
        value: str | bool | int | float | Sequence[str],
        *,
        card: Locator | None = None,
    ) -> None:
        """Set an input of the latest card, found by its Adaptive Card ``id`` or its label.

        The renderer drops input ids from the DOM, so an id is looked up in the card
        JSON the bot sent (seen on the Playground's websocket) and turned into the
        input's ``label`` (else ``placeholder``, else toggle ``title``).

        Values: text for Input.Text/Number; ``YYYY-MM-DD`` for Input.Date; ``HH:MM`` for
        Input.Time; bool for Input.Toggle; a choice title or value (or a list of them
        for isMultiSelect) for Input.ChoiceSet.
        """
        card = card or self.latest_card()
        spec = self._input_spec(label_or_id)
        name = label_or_id
        kind = None
        if spec is not None:
            kind = spec.get("type")
            name = spec.get("label") or spec.get("placeholder") or spec.get("title") or label_or_id
        choices: list[dict[str, str]] = list(spec.get("choices", [])) if spec else []

        def titles(val: object) -> list[str]:
            items = [val] if isinstance(val, str) else list(val)  # type: ignore[call-overload]
            by_value = {str(c.get("value")): str(c.get("title")) for c in choices}
            return [by_value.get(str(v), str(v)) for v in items]

        radiogroup = card.get_by_role("radiogroup", name=name, exact=True)
        if kind == "Input.ChoiceSet" or radiogroup.count():
            if radiogroup.count():
                (choice,) = titles(value)
                radiogroup.get_by_role("radio", name=choice, exact=True).check()
                return
            combo = card.get_by_role("combobox", name=name, exact=True)
            if combo.count():
                self._pick_from_combobox(combo, titles(value))
                return
            # expanded multi-select: one checkbox per choice, named "<label> <title>"
            wanted = titles(value)
            every = [str(c.get("title")) for c in choices] or wanted
            for title in every:
                box = card.get_by_role("checkbox", name=f"{name} {title}", exact=True)
                if not box.count():
                    raise AssertionError(f"no choice {title!r} in choice set {name!r}")
                box.set_checked(title in wanted)
            return
        if kind == "Input.Toggle" or isinstance(value, bool):
            box = card.get_by_role("checkbox", name=re.compile(rf"^{re.escape(name)}\b")).first
            box.set_checked(_truthy(value))
            return
        for role in ("textbox", "spinbutton"):
            field_ = card.get_by_role(role, name=name, exact=True)
            if field_.count():
                field_.first.fill(str(value))
                return
        combo = card.get_by_role("combobox", name=name, exact=True)
        if combo.count():
            if kind in ("Input.Date", "Input.Time") or re.fullmatch(r"\d{4}-\d\d-\d\d|\d\d?:\d\d", str(value)):
                combo.first.fill(str(value))
                combo.first.press("Tab")  # Enter would open the calendar dialog
            else:
                self._pick_from_combobox(combo.first, titles(value))
            return
        raise AssertionError(f"no card input {label_or_id!r} (looked for accessible name {name!r})")

    # --- other activities -------------------------------------------------------------

    def mock_activity(self, kind: MockActivity) -> None:
        """Send an install/uninstall or conversationUpdate through "Mock an Activity".

        The Playground shows the activity JSON in a dialog; this presses "Send
        activity" unchanged.  Applies to the open conversation ("Remove …" and
        "Uninstall" for a channel target the team).
        """
        self._settle()
        self._mark_read()
        self.page.get_by_role("button", name="Mock an Activity").click()
        self.page.get_by_role("menuitem").filter(has_text=re.compile(rf"^{re.escape(kind)}$")).click()
        dialog = self.page.get_by_role("dialog")
        dialog.get_by_role("button", name="Send activity").click()
        expect(dialog).to_have_count(0)

    def send_custom_activity(self, activity: dict[str, Any]) -> None:
        """POST an activity to the bot through the Playground's own custom-activity API.

        The Playground fills nothing in: pass a full activity, e.g. from
        :meth:`custom_activity_template` (which knows serviceUrl, ids and the conversation).
        """
        response = self.page.request.post(self._base_url() + "/_internal/v1/customActivities", data=activity)
        if not response.ok:
            raise PlaygroundError(f"custom activity refused: {response.status} {response.text()}")

    def custom_activity_template(
        self,
        kind: Literal["install", "uninstall", "botAdded", "userAdded", "botRemoved", "userRemoved"],
        conversation_id: str | None = None,
    ) -> dict[str, Any]:
        """The activity the Playground would send for ``kind`` in a conversation (default: open one)."""
        conv = conversation_id or self.conversation_id()
        response = self.page.request.get(
            self._base_url() + "/_internal/v1/customActivities/template",
            params={"conversationId": conv, "type": kind},
        )
        if not response.ok:
            raise PlaygroundError(f"template refused: {response.status} {response.text()}")
        result: dict[str, Any] = response.json()
        return result

    def conversation_id(self, scope: Scope | None = None) -> str:
        """The conversation id the bot saw for a scope (default: the open one), from the traffic.

        Personal and group chat ids are new UUIDs on every Playground start; the
        General channel's is the team id (``team-id``; thread messages get
        ``team-id;messageid=…``).
        """
        wanted = {"personal": "personal", "group": "groupChat", "channel": "channel"}[scope or self.scope]
        for entry in reversed(self.traffic):
            conv = entry.activity.get("conversation") or {}
            if conv.get("conversationType") == wanted and conv.get("id"):
                return str(conv["id"]).split(";")[0]
        raise AssertionError(f"no {wanted} conversation seen yet")

    # --- traffic ------------------------------------------------------------------------

    def activities_to_bot(self, type_: str | None = None) -> list[TrafficEntry]:
        """What the Playground sent the bot (with the bot's HTTP status)."""
        return [e for e in self.traffic if e.direction == "to_bot" and (type_ is None or e.name == type_)]

    def activities_from_bot(self) -> list[TrafficEntry]:
        """What the bot sent the Playground's connector (replies and proactive messages)."""
        return [e for e in self.traffic if e.direction == "from_bot"]

    def wait_for_activity_to_bot(self, type_: str | None = "message", *, timeout: float | None = None) -> TrafficEntry:
        """The first activity of ``type_`` sent to the bot since the last action, once logged.

        The last action is the last send / mention / switch / card click / mock
        activity.  The Playground logs a request to the bot only after the bot has
        answered it, i.e. usually *after* the bot's reply is already on screen, so
        read what the bot received through this wait, not ``activities_to_bot()[-1]``.
        """
        return self.wait_for_traffic(
            lambda e: e.direction == "to_bot" and (type_ is None or e.name == type_),
            since=self._traffic_mark,
            timeout=timeout,
        )

    def wait_for_traffic(
        self, predicate: Callable[[TrafficEntry], bool], *, since: int = 0, timeout: float | None = None
    ) -> TrafficEntry:
        """Wait until an exchange satisfying ``predicate`` is logged (looking at ``traffic[since:]``).

        Take ``since = len(pg.traffic)`` before an action to look only at what follows it.
        """
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            for entry in self.traffic[since:]:
                if predicate(entry):
                    return entry
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._ws is None:
                raise AssertionError("no matching exchange in the Playground's log")
            with contextlib.suppress(Exception):
                self._ws.wait_for_event("framereceived", timeout=remaining * 1000)

    # --- misc ----------------------------------------------------------------------------

    def screenshot(self, path: str | Path, *, full_page: bool = True) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    # --- internals -------------------------------------------------------------------------

    def _base_url(self) -> str:
        if self.server is not None:
            return self.server.url
        match = re.match(r"https?://[^/]+", self.page.url)
        if not match:
            raise PlaygroundError("page is not on the Playground")
        return match.group(0)

    def _on_websocket(self, ws: WebSocket) -> None:
        if not any(path in ws.url for path in _WS_STREAM_PATHS):
            return
        if "/_ws/log/" in ws.url:
            self._ws = ws
        ws.on("framereceived", self._on_frame)

    def _on_frame(self, payload: str | bytes) -> None:
        try:
            frame = json.loads(payload)
        except (TypeError, ValueError):
            return
        if not isinstance(frame, dict):
            return
        message = frame.get("message")
        if frame.get("action") == "createMessage" and isinstance(message, dict):
            for att in message.get("attachments") or []:
                if att.get("contentType") == "application/vnd.microsoft.card.adaptive":
                    self.cards_sent.append(att.get("content") or {})
        log = frame.get("log")
        if frame.get("logAction") != "appendLog" or not isinstance(log, dict) or "request" not in log:
            return
        body = (log.get("request") or {}).get("body")
        response = log.get("response") or {}
        self.traffic.append(
            TrafficEntry(
                direction="from_bot" if log.get("from") == "User Application" else "to_bot",
                name=str(log.get("activityName") or (body or {}).get("type") or ""),
                conversation_id=log.get("conversationId"),
                activity=body if isinstance(body, dict) else {},
                status=response.get("statusCode"),
                response=response.get("body"),
            )
        )

    def _input_spec(self, input_id: str) -> dict[str, Any] | None:
        for card in reversed(self.cards_sent):
            found = _find_input(card, input_id)
            if found is not None:
                return found
        return None

    def _pick_from_combobox(self, combo: Locator, titles: list[str]) -> None:
        combo.click()
        listbox_id = combo.get_attribute("aria-controls")
        popup = self.page.locator(f'[id="{listbox_id}"]') if listbox_id else self.page.locator("[data-portal-node]")
        for title in titles:
            option = popup.get_by_role("option", name=title, exact=True)
            option.or_(popup.get_by_role("menuitemcheckbox", name=title, exact=True)).first.click()
        if popup.is_visible():
            self.page.keyboard.press("Escape")

    def _chat_editor(self) -> Locator:
        return self.page.locator(_SEL_EDITOR).last

    def _new_post_button(self) -> Locator:
        return self.page.get_by_role("button", name="Post", exact=True)

    def _compose_editor(self, in_thread: bool) -> Locator:
        if self.scope != "channel":
            return self._chat_editor()
        if in_thread:
            # posts are role=group cards; the first one is the "Start a new post" composer
            posts = self.page.locator('[role="group"]').filter(has=self.page.get_by_role("button", name="Send Message"))
            if not posts.count():
                raise AssertionError("no post to reply to in this channel")
            return posts.first.locator(_SEL_EDITOR)
        composer = self.page.locator('[role="group"]').filter(has=self._new_post_button())
        return composer.locator(_SEL_EDITOR)

    def _submit(self, editor: Locator, in_thread: bool) -> None:
        if self.scope == "channel" and not in_thread:
            self._new_post_button().click()
        else:
            self.page.keyboard.press("Enter")
        expect(editor).to_have_text("")  # the compose box empties once the message is taken

    def _type(self, text: str) -> None:
        lines = text.split("\n")
        for i, line in enumerate(lines):
            if i:
                self.page.keyboard.press("Shift+Enter")
            if line:
                self.page.keyboard.type(line)

    def _before_send(self) -> None:
        self._settle()
        self._mark_read()

    def _mark_read(self) -> None:
        self._traffic_mark = len(self.traffic)
        messages = self.bot_messages()
        self._mark = max((m.seq for m in messages), default=self._mark)
        self._texts = {m.seq: m.text for m in messages}

    def _max_seq(self) -> int:
        messages = self.bot_messages()
        return max((m.seq for m in messages), default=self._mark)

    def _settle(self) -> None:
        """Let React paint (two animation frames), then number what is shown."""
        self.page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        self.bot_messages()


def _find_input(element: Any, input_id: str) -> dict[str, Any] | None:
    if isinstance(element, dict):
        if str(element.get("type", "")).startswith("Input.") and element.get("id") == input_id:
            return element
        children: list[Any] = list(element.values())
    elif isinstance(element, list):
        children = element
    else:
        return None
    for child in children:
        found = _find_input(child, input_id)
        if found is not None:
            return found
    return None


def _matches(pattern: Pattern, text: str) -> bool:
    if isinstance(pattern, re.Pattern):
        return pattern.search(text) is not None
    return pattern in text


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


__all__ = [
    "CHROMIUM_ARGS",
    "CHROMIUM_PATH",
    "DEFAULT_BOT_NAME",
    "BotMessage",
    "Playground",
    "PlaygroundError",
    "PlaygroundServer",
    "SessionTimings",
    "TrafficEntry",
    "free_port",
    "launch_chromium",
    "open_playground",
    "playground_command",
    "playground_session",
    "run_playground",
]
