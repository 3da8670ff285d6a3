"""DatabaseStorage keeps botbuilder's storage contract (ported from botbuilder-python's
`StorageBaseTests` and `test_memory_storage.py`), carries a dialog across a restart, and
loses no update when two processes write one key at once."""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import AsyncIterator

import pytest
from botbuilder.core import (
    ConversationState,
    MemoryStorage,
    MessageFactory,
    StoreItem,
    TurnContext,
)
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import (
    Dialog,
    DialogSet,
    DialogTurnResult,
    DialogTurnStatus,
    PromptOptions,
    PromptValidatorContext,
    TextPrompt,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.schema import Activity, ActivityTypes, Attachment, InputHints
from botframework.connector import Channels

from bot import storage as storage_module
from bot.sdk_fastpaths.model_codec import SCHEMA
from bot.storage import DatabaseConversationState, DatabaseStorage, EtagConflict
from db.engine import Database
from tests.db import workers
from tests.fixtures.stored_state import people_prompt_state_before


class SimpleStoreItem(StoreItem):
    def __init__(self, counter: int = 1, e_tag: str | None = "*") -> None:
        super().__init__()
        self.counter = counter
        self.e_tag = e_tag


@pytest.fixture
async def storage(database: Database) -> AsyncIterator[DatabaseStorage]:
    yield DatabaseStorage(database)


# --- StorageBaseTests ---------------------------------------------------------------


async def test_return_empty_object_when_reading_unknown_key(storage: DatabaseStorage) -> None:
    result = await storage.read(["unknown"])
    assert result == {}


async def test_handle_null_keys_when_reading(storage: DatabaseStorage) -> None:
    # As MemoryStorage (and CosmosDbStorage): no keys, nothing read.
    assert await storage.read(None) == {}
    assert await MemoryStorage().read(None) == {}


async def test_handle_null_keys_when_writing(storage: DatabaseStorage) -> None:
    with pytest.raises(Exception) as error:
        await storage.write(None)
    assert error.value.args[0] == "Changes are required when writing"


async def test_does_not_raise_when_writing_no_items(storage: DatabaseStorage) -> None:
    await storage.write([])  # type: ignore[arg-type]  # the SDK's own test passes a list
    await storage.write({})


async def test_create_object(storage: DatabaseStorage) -> None:
    items = {"createPoco": {"id": 1}, "createPocoStoreItem": {"id": 2, "e_tag": "*"}}
    await storage.write(items)
    read = await storage.read(items.keys())
    assert read["createPoco"]["id"] == 1
    assert read["createPocoStoreItem"]["id"] == 2
    assert read["createPocoStoreItem"]["e_tag"] is not None


async def test_handle_crazy_keys(storage: DatabaseStorage) -> None:
    key = '!@#$%^&*()_+??><":QASD~`'
    await storage.write({key: {"id": 1}})
    read = await storage.read([key])
    assert read[key]["id"] == 1


async def test_update_object(storage: DatabaseStorage) -> None:
    await storage.write({"pocoItem": {"id": 1, "count": 1}, "pocoStoreItem": {"id": 1, "count": 1, "e_tag": "*"}})
    loaded = await storage.read(["pocoItem", "pocoStoreItem"])
    poco, poco_store = loaded["pocoItem"], loaded["pocoStoreItem"]
    poco["e_tag"] = None
    assert poco_store["e_tag"] is not None
    poco["count"] += 1
    poco_store["count"] += 1
    await storage.write(loaded)
    reloaded = await storage.read(loaded.keys())
    assert reloaded["pocoItem"]["count"] == 2
    assert reloaded["pocoStoreItem"]["count"] == 2

    # Without an etag the write goes through, whatever is stored.
    poco["count"] = 123
    await storage.write({"pocoItem": poco})
    # With an old etag it must fail (the other SDKs' assertion, possible here).
    stale = dict(reloaded["pocoStoreItem"])
    await storage.write({"pocoStoreItem": reloaded["pocoStoreItem"]})
    stale["count"] = 123
    with pytest.raises(EtagConflict, match="Etag conflict"):
        await storage.write({"pocoStoreItem": stale})

    reloaded2 = await storage.read(["pocoItem", "pocoStoreItem"])
    reloaded2["pocoItem"]["e_tag"] = None
    assert reloaded2["pocoItem"]["count"] == 123
    assert reloaded2["pocoStoreItem"]["count"] == 2

    # A wildcard etag writes regardless.
    reloaded2["pocoItem"]["count"] = 100
    reloaded2["pocoStoreItem"]["count"] = 100
    reloaded2["pocoStoreItem"]["e_tag"] = "*"
    await storage.write(reloaded2)
    reloaded3 = await storage.read(["pocoItem", "pocoStoreItem"])
    assert reloaded3["pocoItem"]["count"] == 100
    assert reloaded3["pocoStoreItem"]["count"] == 100

    # An empty etag is refused.
    item4 = (await storage.read(["pocoStoreItem"]))["pocoStoreItem"]
    item4["e_tag"] = ""
    with pytest.raises(Exception, match="etag missing"):
        await storage.write({"pocoStoreItem": item4})
    final = await storage.read(["pocoItem", "pocoStoreItem"])
    assert final["pocoItem"]["count"] == 100
    assert final["pocoStoreItem"]["count"] == 100


async def test_delete_object(storage: DatabaseStorage) -> None:
    await storage.write({"delete1": {"id": 1, "count": 1, "e_tag": "*"}})
    read = await storage.read(["delete1"])
    assert read["delete1"]["e_tag"]
    assert read["delete1"]["count"] == 1
    await storage.delete(["delete1"])
    assert (await storage.read(["delete1"])).get("delete1") is None


async def test_delete_unknown_object(storage: DatabaseStorage) -> None:
    await storage.delete(["unknown_key"])


async def test_perform_batch_operations(storage: DatabaseStorage) -> None:
    await storage.write({"batch1": {"count": 10}, "batch2": {"count": 20}, "batch3": {"count": 30}})
    result = await storage.read(["batch1", "batch2", "batch3"])
    assert [result[f"batch{i}"]["count"] for i in (1, 2, 3)] == [10, 20, 30]
    await storage.delete(["batch1", "batch2", "batch3"])
    assert await storage.read(["batch1", "batch2", "batch3"]) == {}


# --- test_memory_storage.py: objects, not just dicts --------------------------------


async def test_store_items_come_back_as_objects(storage: DatabaseStorage) -> None:
    await storage.write({"user": SimpleStoreItem(counter=7)})
    user = (await storage.read(["user"]))["user"]
    assert isinstance(user, SimpleStoreItem)
    assert user.counter == 7 and user.e_tag not in (None, "", "*")


async def test_write_overwrites_when_new_etag_is_an_asterisk(storage: DatabaseStorage) -> None:
    await storage.write({"user": SimpleStoreItem(e_tag="1")})
    await storage.write({"user": SimpleStoreItem(counter=10, e_tag="*")})
    assert (await storage.read(["user"]))["user"].counter == 10


async def test_write_with_the_current_etag_overwrites(storage: DatabaseStorage) -> None:
    # MemoryStorage keeps the caller's made-up etag ("1"); we, like Cosmos and Blob
    # storage, issue our own, so the caller writes back the one it read.
    await storage.write({"user": SimpleStoreItem(e_tag="1")})
    current = (await storage.read(["user"]))["user"]
    await storage.write({"user": SimpleStoreItem(counter=5, e_tag=current.e_tag)})
    assert (await storage.read(["user"]))["user"].counter == 5


async def test_saving_twice_in_one_turn_does_not_conflict_with_itself(storage: DatabaseStorage) -> None:
    await storage.write({"user": SimpleStoreItem()})
    user = (await storage.read(["user"]))["user"]
    user.counter = 2
    await storage.write({"user": user})
    user.counter = 3
    await storage.write({"user": user})
    assert (await storage.read(["user"]))["user"].counter == 3


async def test_delete_several_keys_and_ignore_the_rest(storage: DatabaseStorage) -> None:
    await storage.write({"test": SimpleStoreItem(), "test2": SimpleStoreItem(2, "2"), "test3": SimpleStoreItem(3, "3")})
    await storage.delete(["test", "test2", "foo"])
    assert set(await storage.read(["test", "test2", "test3", "foo"])) == {"test3"}


# --- a real dialog, with the storage rebuilt between turns ----------------------------


class RestartableBot:
    """A waterfall bot whose database, storage and state are rebuilt on demand, as if
    the process restarted (or another instance took the next turn)."""

    def __init__(self, url: str, state_class: type[ConversationState] = ConversationState) -> None:
        self.url = url
        self.state_class = state_class
        self.database: Database | None = None
        self.rebuild_count = 0
        self.convo_state: ConversationState
        self.dialogs: DialogSet

    async def rebuild(self) -> None:
        if self.database is not None:
            await self.database.dispose()
        self.rebuild_count += 1
        self.database = Database(self.url)
        self.convo_state = self.state_class(DatabaseStorage(self.database))
        self.dialogs = DialogSet(self.convo_state.create_property("dialogState"))
        self.dialogs.add(WaterfallDialog(WaterfallDialog.__name__, [self.step_1, self.step_2, self.step_3]))
        self.dialogs.add(TextPrompt(TextPrompt.__name__, self.validate_name))

    async def turn(self, turn_context: TurnContext) -> None:
        dialog_context = await self.dialogs.create_context(turn_context)
        await dialog_context.continue_dialog()
        if not turn_context.responded:
            await dialog_context.begin_dialog(WaterfallDialog.__name__)
        await self.convo_state.save_changes(turn_context)

    @staticmethod
    async def validate_name(prompt_context: PromptValidatorContext) -> bool:
        attempts = prompt_context.options.number_of_attempts
        if len(prompt_context.recognized.value) > 3:
            await prompt_context.context.send_activity(MessageFactory.text(f"You got it at the {attempts}rd try!"))
            return True
        await prompt_context.context.send_activity(
            MessageFactory.text(f"Please send a name that is longer than 3 characters. {attempts}")
        )
        return False

    @staticmethod
    async def step_1(step_context: WaterfallStepContext) -> DialogTurnResult:
        assert isinstance(step_context.active_dialog.state["stepIndex"], int)
        await step_context.context.send_activity("step1")
        return Dialog.end_of_turn

    @staticmethod
    async def step_2(step_context: WaterfallStepContext) -> DialogTurnResult:
        assert isinstance(step_context.active_dialog.state["stepIndex"], int)
        return await step_context.prompt(
            TextPrompt.__name__, PromptOptions(prompt=MessageFactory.text("Please type your name"))
        )

    @staticmethod
    async def step_3(step_context: WaterfallStepContext) -> DialogTurnResult:
        assert isinstance(step_context.active_dialog.state["stepIndex"], int)
        await step_context.context.send_activity(f"step3 {step_context.result}")
        return await step_context.end_dialog()


@pytest.mark.parametrize("state_class", [ConversationState, DatabaseConversationState])
async def test_a_waterfall_carries_on_across_restarts(database: Database, state_class: type[ConversationState]) -> None:
    bot = RestartableBot(database.url, state_class)
    await bot.rebuild()
    adapter = TestAdapter(bot.turn)
    try:
        flow = await (await adapter.send("hello")).assert_reply("step1")
        await bot.rebuild()
        flow = await (await flow.send("hello")).assert_reply("Please type your name")
        for attempt in range(3):
            await bot.rebuild()
            flow = await (await flow.send("hi")).assert_reply(
                f"Please send a name that is longer than 3 characters. {attempt}"
            )
        await bot.rebuild()
        flow = await (await flow.send("Kyle")).assert_reply("You got it at the 3rd try!")
        await flow.assert_reply("step3 Kyle")
    finally:
        assert bot.database is not None
        await bot.database.dispose()
    assert bot.rebuild_count == 6

    # The dialog state went through the table, as objects, and the dialog ended.
    # The SDK formats the key with "%s" % Channels.test, which gives "Channels.test".
    key = "%s/conversations/%s" % (Channels.test, "Convo1")  # noqa: UP031
    stored = await DatabaseStorage(database).read([key])
    dialog_state = stored[key]["dialogState"]
    assert type(dialog_state).__name__ == "DialogState"
    assert dialog_state.dialog_stack == []


class CountingStorage(DatabaseStorage):
    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self.writes: list[str] = []

    async def write_flat(self, changes: dict[str, tuple[object, storage_module.Flat]]) -> None:
        self.writes.extend(changes)
        await super().write_flat(changes)


async def test_the_state_is_written_only_when_a_turn_changes_it(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dialog waiting at a prompt (an object-laden state) read back and saved unchanged
    is not written; changed, it is written once; each save flattens the state once."""
    bot = RestartableBot(database.url, DatabaseConversationState)
    await bot.rebuild()
    flattened: list[object] = []
    real_flatten = storage_module.flatten
    monkeypatch.setattr(storage_module, "flatten", lambda item: flattened.append(item) or real_flatten(item))
    adapter = TestAdapter(bot.turn)
    try:
        flow = await (await adapter.send("hello")).assert_reply("step1")
        flow = await (await flow.send("hello")).assert_reply("Please type your name")
        counting = CountingStorage(bot.database)  # type: ignore[arg-type]
        state = DatabaseConversationState(counting)
        template = adapter.template
        activity = Activity(
            type="message",
            text="unchanged",
            channel_id=template.channel_id,
            conversation=template.conversation,
            from_property=template.from_property,
            recipient=template.recipient,
            service_url=template.service_url,
        )
        context = TurnContext(adapter, activity)
        await state.load(context)
        assert type(state.get(context)["dialogState"]).__name__ == "DialogState"
        flattened.clear()
        await state.save_changes(context)
        assert counting.writes == [] and len(flattened) == 1
        state.get(context)["dialogState"].dialog_stack[0].state["stepIndex"] = 0
        await state.save_changes(context)
        await state.save_changes(context)  # saved already: nothing new to write
        assert len(counting.writes) == 1 and len(flattened) == 3
        await state.clear_state(context)  # the SDK's own cache (and hashing) from here on
        await state.save_changes(context)
        assert len(counting.writes) == 2
        stored = await counting.read([state.get_storage_key(context)])
        assert set(stored[state.get_storage_key(context)]) == {"e_tag"}  # cleared
    finally:
        assert bot.database is not None
        await bot.database.dispose()


async def test_dialog_turn_status_survives_a_round_trip(storage: DatabaseStorage) -> None:
    await storage.write({"k": {"status": DialogTurnStatus.Waiting}})
    assert (await storage.read(["k"]))["k"]["status"] == DialogTurnStatus.Waiting


# --- two processes, one key -------------------------------------------------------------


async def test_two_processes_increment_one_key_without_losing_updates(database: Database) -> None:
    """On SQLite too, where each process runs statements on its event loop's thread and waits
    there for the other's write lock."""
    storage = DatabaseStorage(database)
    await storage.write({"counter": {"count": 0}})
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    processes = [
        context.Process(target=workers.increment, args=(database.url, "counter", 50, barrier)) for _ in range(2)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=180)
    assert [process.exitcode for process in processes] == [0, 0]
    assert (await storage.read(["counter"]))["counter"]["count"] == 100


# --- Bot Framework models in state --------------------------------------------------------


async def test_a_prompts_activity_is_stored_as_its_wire_json(storage: DatabaseStorage) -> None:
    prompt = MessageFactory.text("Whose details?", input_hint=InputHints.expecting_input)
    prompt.attachments = [Attachment(content_type="application/vnd.microsoft.card.adaptive", content={"a": [1, "é"]})]
    await storage.write({"k": {"options": PromptOptions(prompt=prompt)}})
    [row] = (await storage._store.read(["k"])).values()
    stored = row.data["options"]["prompt"]
    assert stored == {
        "py/object": "botbuilder.schema._models_py3.Activity",
        "json": SCHEMA.serialize(prompt, "Activity"),
    }
    restored = (await storage.read(["k"]))["k"]["options"].prompt
    assert isinstance(restored, Activity)
    assert SCHEMA.serialize(restored, "Activity") == SCHEMA.serialize(prompt, "Activity")


async def test_a_prompt_stored_attribute_by_attribute_is_still_read(storage: DatabaseStorage) -> None:
    """State written before models were stored as wire JSON: a dialog open during an upgrade."""
    await storage._store.write({"k": (people_prompt_state_before(), None)})
    state = (await storage.read(["k"]))["k"]
    options = state["DialogState"].dialog_stack[0].state["dialogs"].dialog_stack[0].state["options"]
    assert options.prompt.type == ActivityTypes.message
    assert options.prompt.text == "Whose details? Type their work email address, or `cancel`."
    assert options.prompt.input_hint == InputHints.accepting_input
    assert options.retry_prompt.input_hint == InputHints.accepting_input  # a reference to the enum read above
    await storage.write({"k": state})  # and it is written back the new way
    [row] = (await storage._store.read(["k"])).values()
    assert "json" in json.dumps(row.data) and "from_property" not in json.dumps(row.data)
