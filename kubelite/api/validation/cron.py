"""Cron schedules as CronJobs write them: five fields, or a descriptor such as `@hourly`.

    ┌ minute (0-59)  ┌ hour (0-23)  ┌ day of month (1-31)  ┌ month (1-12 or JAN-DEC)
    │                │              │                      │     ┌ day of week (0-6 or SUN-SAT)
    */15             3-5            1,15                   *     MON-FRI

Each field is a comma list of `*`, `?`, `N`, `N-M`, with an optional `/step`. `parse`
returns the set of allowed values per field (what a controller needs to find the next
run) or raises `CronError` worded like the parser Kubernetes uses, because that text is
what `kubectl` shows under `spec.schedule: Invalid value`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    )
}
_DAYS = {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
# (minimum, maximum, names) per field, in schedule order.
_BOUNDS: tuple[tuple[int, int, dict[str, int]], ...] = (
    (0, 59, {}),
    (0, 23, {}),
    (1, 31, {}),
    (1, 12, _MONTHS),
    (0, 6, _DAYS),
)
_DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$")


class CronError(ValueError):
    """A schedule that does not parse."""


@dataclass(frozen=True, slots=True)
class CronSchedule:
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]
    # Both day fields restricted means "either matches", as in classic cron.
    dom_star: bool
    dow_star: bool
    every: str = ""  # the duration of an `@every` schedule


def parse(schedule: str) -> CronSchedule:
    spec = schedule.strip()
    if not spec:
        raise CronError("empty spec string")
    if spec.startswith("@"):
        if spec.startswith("@every "):
            duration = spec[len("@every ") :].strip()
            if not _DURATION.match(duration):
                raise CronError(f'failed to parse duration {spec}: time: invalid duration "{duration}"')
            full: frozenset[int] = frozenset()
            return CronSchedule(full, full, full, full, full, False, False, every=duration)
        if spec not in DESCRIPTORS:
            raise CronError(f"unrecognized descriptor: {spec}")
        spec = DESCRIPTORS[spec]
    fields = spec.split()
    if len(fields) != 5:
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]")
    sets = [_field(expr, *bounds) for expr, bounds in zip(fields, _BOUNDS, strict=True)]
    return CronSchedule(
        minutes=sets[0][0],
        hours=sets[1][0],
        days_of_month=sets[2][0],
        months=sets[3][0],
        days_of_week=sets[4][0],
        dom_star=sets[2][1],
        dow_star=sets[4][1],
    )


def _field(expr: str, lo: int, hi: int, names: dict[str, int]) -> tuple[frozenset[int], bool]:
    values: set[int] = set()
    star = False
    for part in expr.split(","):
        got, part_star = _range(part, lo, hi, names)
        values |= got
        star = star or part_star
    return frozenset(values), star


def _range(expr: str, lo: int, hi: int, names: dict[str, int]) -> tuple[set[int], bool]:
    range_and_step = expr.split("/")
    low_high = range_and_step[0].split("-")
    star = False
    if low_high[0] in ("*", "?"):
        start, end, star = lo, hi, True
    else:
        start = _int_or_name(low_high[0], names)
        if len(low_high) == 1:
            end = start
        elif len(low_high) == 2:
            end = _int_or_name(low_high[1], names)
        else:
            raise CronError(f"too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _int(range_and_step[1])
        if len(low_high) == 1:  # "N/step" means "from N to the maximum"
            end = hi
        if step > 1:
            star = False
    else:
        raise CronError(f"too many slashes: {expr}")
    if start < lo:
        raise CronError(f"beginning of range ({start}) below minimum ({lo}): {expr}")
    if end > hi:
        raise CronError(f"end of range ({end}) above maximum ({hi}): {expr}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise CronError(f"step of range should be a positive number: {expr}")
    return set(range(start, end + 1, step)), star


def _int_or_name(expr: str, names: dict[str, int]) -> int:
    if expr.lower() in names:
        return names[expr.lower()]
    return _int(expr)


def _int(expr: str) -> int:
    if not re.fullmatch(r"[+-]?[0-9]+", expr):
        raise CronError(f'failed to parse int from {expr}: strconv.Atoi: parsing "{expr}": invalid syntax')
    value = int(expr)
    if value < 0:
        raise CronError(f"negative number ({value}) not allowed: {expr}")
    return value
