"""When a CronJob is due: its schedule read with croniter, and the missed-start arithmetic.

A schedule is the standard five fields or a macro (`@hourly`, `@daily`, ...), evaluated in
spec.timeZone when set (else in UTC, the controller manager's zone here); a `CRON_TZ=` or
`TZ=` prefix in the schedule itself also names the zone (Kubernetes warns that it is not
officially supported, and so does this controller, with the same event).

The start to run now is the latest scheduled time that is not after now and not before
the earliest time that still counts - the last schedule time (or the CronJob's creation),
moved up to now - startingDeadlineSeconds when that is later. Between those two times
there may be many missed starts: only the most recent is run, and more than 100 of them
is reported as an event (TooManyMissedTimes), never as a storm of Jobs. The controller
looks at the CronJob again 100 ms after the next scheduled time.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from croniter import croniter

from kubelite.api.meta import parse_time
from kubelite.api.types import Object

NEXT_SCHEDULE_DELTA = 0.1
MANY_MISSED = 100


class ScheduleError(ValueError):
    pass


@dataclass(slots=True, frozen=True)
class Schedule:
    expression: str
    zone: dt.tzinfo

    def next(self, after: dt.datetime) -> dt.datetime:
        """The first scheduled time strictly after `after`."""
        start = after.astimezone(self.zone)
        value = croniter(self.expression, start).get_next(dt.datetime)
        return value.astimezone(dt.UTC)


def uses_tz_prefix(schedule: str) -> bool:
    return "TZ" in schedule


def load_zone(name: str) -> dt.tzinfo:
    if name in ("", "UTC", "Local"):
        return dt.UTC
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as err:
        raise ScheduleError(f"unknown time zone {name}") from err


def parse(cronjob: Object) -> Schedule:
    spec = cronjob.get("spec") or {}
    text = str(spec.get("schedule") or "").strip()
    zone = load_zone(spec.get("timeZone") or "")
    if text.startswith(("CRON_TZ=", "TZ=")):
        prefix, _, text = text.partition(" ")
        zone = load_zone(prefix.split("=", 1)[1])
        text = text.strip()
    if not croniter.is_valid(text):
        raise ScheduleError(f"unparseable schedule {text!r}")
    return Schedule(text, zone)


@dataclass(slots=True, frozen=True)
class Due:
    earliest: dt.datetime
    most_recent: dt.datetime | None
    missed: int  # scheduled times between earliest and now (0: none, >100: many)


def _stamp(value: str | None) -> dt.datetime | None:
    return parse_time(value).astimezone(dt.UTC) if value else None


def most_recent(cronjob: Object, now: dt.datetime, sched: Schedule, with_deadline: bool) -> Due:
    """The latest scheduled time in (earliest, now], with how many were missed."""
    md, spec, status = cronjob["metadata"], cronjob.get("spec") or {}, cronjob.get("status") or {}
    earliest = _stamp(status.get("lastScheduleTime")) or _stamp(md.get("creationTimestamp")) or now
    deadline = spec.get("startingDeadlineSeconds")
    if with_deadline and deadline is not None:
        earliest = max(earliest, now - dt.timedelta(seconds=int(deadline)))
    t1 = sched.next(earliest)
    if now < t1:
        return Due(earliest, None, 0)
    t2 = sched.next(t1)
    if now < t2:
        return Due(earliest, t1, 1)
    period = round((t2 - t1).total_seconds())
    if period < 1:
        raise ScheduleError("time difference between two schedules is less than 1 second")
    missed = int((now - t1).total_seconds()) // period + 1
    found: dt.datetime | None = None
    t = sched.next(t1 + dt.timedelta(seconds=(missed - 2) * period))
    while t <= now:
        found = t
        t = sched.next(t)
    return Due(earliest, found, missed)


def next_delay(cronjob: Object, now: dt.datetime, sched: Schedule) -> float:
    """Seconds until the CronJob should be looked at again."""
    try:
        due = most_recent(cronjob, now, sched, with_deadline=False)
        base = due.most_recent or (due.earliest if due.missed == 0 else now)
    except ScheduleError:
        base = now
    return (sched.next(base) - now).total_seconds() + NEXT_SCHEDULE_DELTA
