"""`POST /api/attendance/{provider_id}`: a provider's own system sends its register as CSV
(the columns of `domain/attendance/provider_files.py`), authenticated by the provider's API key
in the `X-Api-Key` header (or `Authorization: Bearer <key>`).

- The key is checked by `providers.verify_key` (hashes compared in constant time) and must
  belong to the provider in the path: anything else is 401, the same answer for an unknown,
  wrong, revoked or another provider's key.
- The body is at most `MAX_FILE_BYTES` (413 beyond), read as UTF-8 CSV.
- The file is checked row by row and applied all or nothing (`import_provider_csv`): 200 with
  the counts when applied (or when the same file was applied before: `already_imported`), 422
  with every problem (row, column, problem; never the pupil's details) when rejected. Rows may
  report only pupils placed with that provider.

Plain aiohttp: no Bot Framework here. Logs name the provider id and the outcome only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiohttp import web

from core.clock import Clock
from core.logs import log_event
from db.engine import Database
from domain.attendance.provider_files import import_provider_csv
from domain.attendance.providers import verify_key
from domain.requester import Requester

log = logging.getLogger("lncip.provider_api")
MAX_FILE_BYTES = 1024 * 1024  # a provider's day is a few hundred rows; a term's fits too
KEY_HEADER = "X-Api-Key"
UNAUTHORISED = {"error": "unknown, wrong or revoked API key for this provider"}


def presented_key(request: web.Request) -> str:
    key = request.headers.get(KEY_HEADER, "")
    if not key and request.headers.get("Authorization", "").startswith("Bearer "):
        key = request.headers["Authorization"][len("Bearer ") :]
    return key.strip()


def provider_api(database_of: Callable[[web.Application], Database], clock: Clock) -> web.RouteTableDef:
    """The route; `database_of` finds the database the app opened at start."""
    routes = web.RouteTableDef()

    @routes.post("/api/attendance/{provider_id}")
    async def receive(request: web.Request) -> web.Response:
        raw_id = request.match_info["provider_id"]
        provider_id = int(raw_id) if raw_id.isdigit() and len(raw_id) <= 9 else None
        database = database_of(request.app)
        key = presented_key(request)
        owner = await verify_key(database, key) if key and len(key) <= 200 else None
        if provider_id is None or owner != provider_id:
            log_event(log, "provider_file", logging.WARNING, outcome="unauthorised")
            return web.json_response(UNAUTHORISED, status=401)
        if request.content_length is not None and request.content_length > MAX_FILE_BYTES:
            return web.json_response({"error": f"the file is over {MAX_FILE_BYTES} bytes"}, status=413)
        body = await request.content.read(MAX_FILE_BYTES + 1)
        if len(body) > MAX_FILE_BYTES:
            return web.json_response({"error": f"the file is over {MAX_FILE_BYTES} bytes"}, status=413)
        report = await import_provider_csv(
            database, Requester.system(), provider_id, body, source="provider_api", clock=clock
        )
        log_event(
            log, "provider_file", provider_id=provider_id, accepted=report.accepted, problems=len(report.problems)
        )
        if not report.accepted:
            problems = [{"row": p.row, "column": p.field, "problem": p.message} for p in report.problems]
            return web.json_response({"accepted": False, "problems": problems}, status=422)
        return web.json_response(
            {
                "accepted": True,
                "already_imported": report.already_imported,
                "rows": report.rows,
                "added": report.added,
                "changed": report.changed,
                "unchanged": report.unchanged,
            }
        )

    return routes
