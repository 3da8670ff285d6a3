"""The attendance feature in Teams: Partnership staff take the register (`register.py`), each
school's DSL and attendance lead get the daily digest and can ask for it at any time, with a
"Chased" button on each unexplained absence (`views.py`), a pupil's welfare status is seen
and set by those the policy allows (`welfare.py`), and the alerts and flags are drawn
as cards when sent (`notices.py`); the cards are `cards.py` and `templates/`, the texts
`texts.yaml`. What it does to the register is `domain.attendance`; the provider files and keys
come in through `cli/attendance.py` and `bot/provider_api.py`.
"""

from __future__ import annotations

from bot.features import Feature, FeatureServices
from dialogs.attendance.notices import renderers
from dialogs.attendance.register import register_feature
from dialogs.attendance.views import attendance_feature
from dialogs.attendance.welfare import welfare_feature
from domain.attendance.jobs import digest_job, unmarked_job
from domain.attendance.model import Session


def feature(services: FeatureServices) -> Feature:
    database, settings, clock = services.database, services.settings, services.clock
    register, save = register_feature(database, clock)
    attendance, chased = attendance_feature(database, clock)
    welfare, open_welfare, save_welfare = welfare_feature(database, clock)
    return Feature(
        "attendance",
        commands=(register, attendance, welfare),
        card_actions=(save, chased, open_welfare, save_welfare),
        notice_renderers=renderers(database, clock),
        jobs=(
            digest_job(settings.attendance_digest_time),
            unmarked_job(Session.AM, settings.attendance_unmarked_am_time),
            unmarked_job(Session.PM, settings.attendance_unmarked_pm_time),
        ),
    )
