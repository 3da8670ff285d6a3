"""Fast paths and fixes for botbuilder 4.17, kept apart from the Teams experience.

The SDK builds clients per turn, sends replies through msrest and `requests`, and walks every
model and state item generically; these modules keep clients (`adapter.py`), send replies over
aiohttp (`reply_client.py`), read and write activities and dialog state quickly
(`model_codec.py`, `state_codec.py`), fetch the token-signing keys off the event loop
(`signing_keys.py`) and mend a few SDK bugs (`sdk_fixes.py`). Each is tested
against the SDK's own behaviour in `tests/bot/sdk_fastpaths/`.

Nothing outside `bot/` imports them, so the move to the Microsoft 365 Agents SDK drops this
folder as one unit.
"""
