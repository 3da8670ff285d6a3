"""The Playground's configuration with another demo person as its current user.

`.m365agentsplayground.yml` names the demo people (the demo data gives each a post), and
`.m365agentsplayground.more-users.yml` beside it those the Playground has no room for (it takes
exactly five `users`); this writes a copy with `first_name`'s person as `currentUser`, the first
five others as `users`, and a personal chat of their own (so a proactive card reaches the right
person's chat). Used by `scripts/run --as NAME` and by the acceptance scenarios that act as
someone else.

    python scripts/playground_as.py NAME SOURCE TARGET
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

USERS = 5  # the Playground's config schema: `users` has exactly five items


class NoSuchPerson(ValueError):
    pass


def more_users(source: Path) -> list[dict[str, Any]]:
    """The demo people of `source`'s `.more-users.yml` sibling (none if it is not there)."""
    more = source.with_name(source.name.removesuffix(".yml") + ".more-users.yml")
    if not more.exists():
        return []
    return list((yaml.safe_load(more.read_text(encoding="utf-8")) or {}).get("users") or [])


def config_as(first_name: str, source: Path, target: Path) -> Path:
    """Write `source` with `first_name` as the current user to `target`; return `target`."""
    config: dict[str, Any] = yaml.safe_load(source.read_text(encoding="utf-8"))
    people = [config["currentUser"], *config.get("users", []), *more_users(source)]
    name = first_name.lower()
    chosen = [p for p in people if str(p.get("givenName", "")).lower() == name]
    if not chosen:
        names = ", ".join(str(p["givenName"]).lower() for p in people)
        raise NoSuchPerson(f"no demo person called {first_name!r}; one of {names}")
    config["currentUser"] = chosen[0]
    config["users"] = [p for p in people if p is not chosen[0]][:USERS]
    if name != str(people[0].get("givenName", "")).lower():
        config["personalChat"] = {"id": f"{config['personalChat']['id']}-{name}"}
    target.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return target


if __name__ == "__main__":
    try:
        config_as(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))
    except NoSuchPerson as problem:
        sys.exit(f"--as {sys.argv[1]}: {problem}")
