"""Log lines: an error is logged with its stack trace and type, never its message, which can
quote data; a database error never quotes a statement's values."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import IntegrityError

from core.logs import log_event, trace
from db.engine import Database
from tests.fixtures.directory_rows import add_person
from tests.fixtures.logs import JsonLines

PUPIL = "Zebedee Quartermaine"


def _load_record(name: str) -> None:
    raise LookupError(f"no record for {name}")


def _open_record(name: str) -> None:
    try:
        _load_record(name)
    except LookupError as error:
        raise RuntimeError(f"could not open {name}'s record") from error


def test_a_trace_names_every_frame_and_type_but_no_message() -> None:
    with pytest.raises(RuntimeError) as caught:
        _open_record(PUPIL)
    logged = trace(caught.value)
    assert PUPIL not in logged
    assert logged.index("RuntimeError (message not logged)") < logged.index("LookupError (message not logged)")
    assert "_open_record" in logged and "_load_record" in logged and "test_logs.py" in logged


def test_a_logged_error_keeps_its_type_and_drops_its_message(logged: JsonLines) -> None:
    try:
        _open_record(PUPIL)
    except RuntimeError as error:
        log_event(
            logging.getLogger("lncip.test"), "turn_failed", logging.ERROR, exc_info=error, error_type="RuntimeError"
        )
    [line] = logged.lines("lncip.test")
    assert line["event"] == "turn_failed" and line["error_type"] == "RuntimeError"
    assert "_load_record" in str(line["error"]) and PUPIL not in "\n".join(logged.written)


async def test_a_database_error_does_not_quote_the_values(database: Database) -> None:
    email = "zebedee.quartermaine@school.example"
    await add_person(database, email)
    with pytest.raises(IntegrityError) as caught:
        await add_person(database, email)  # the same email twice
    assert "zebedee" not in str(caught.value).lower()
    assert "hidden" in str(caught.value)  # SQLAlchemy's own words for hidden parameters
