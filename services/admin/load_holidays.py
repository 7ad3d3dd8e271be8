"""Load a country's public holidays for one year into a shared calendar, and publish it.

    python -m services.admin.load_holidays --country CN --year 2026 --calendar cn-default

Writes the `--year` version of the calendar (creating the calendar if needed): the weekly
hours of the version in effect that year (else `--hours` on Monday to Friday), the
country's holidays of the year and, for mainland China, its make-up working days with
`--hours` (services/core/agreements/holidays.py). Special hours already in that year's version
are kept; everything stays editable through `PUT /v1/calendars/{calendar_id}`. Running it
again with the same data changes nothing. Settings: DATABASE_URL, KAFKA_*.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Sequence

from services.core.agreements.calendars import Calendar
from services.core.agreements.holidays import Hours, holiday_year, parse_hours
from services.core.kpi.params import DAY_NAMES
from services.core.messaging.agreement_topic import AgreementPublisher
from services.core.settings import DatabaseSettings, KafkaSettings
from services.core.storage import calendars_repo as repo
from services.core.storage.calendars_repo import StoredCalendar
from services.core.storage.session import make_engine, make_sessionmaker

log = logging.getLogger(__name__)


def with_year(
    existing: Calendar | None, calendar_id: str, name: str, country: str, year: int, hours: Hours
) -> Calendar:
    """`existing` (or a new calendar) with its `year` version loaded from the package."""
    years = dict(existing.years) if existing is not None else {}
    previous = years.get(year)
    weekly = existing.rules_for(year).weekly_hours if existing is not None else None
    weekly = weekly or {day: hours for day in DAY_NAMES[:5]}
    years[year] = holiday_year(country, year, weekly, hours, previous)
    return Calendar(calendar_id=calendar_id, name=existing.name if existing else name, years=years)


async def load(
    calendar_id: str,
    name: str,
    country: str,
    year: int,
    hours: Hours,
    database: DatabaseSettings,
    kafka: KafkaSettings,
) -> StoredCalendar:
    """Store the calendar with its `year` version loaded, then publish it to the workers."""
    engine = make_engine(database)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            await repo.lock_calendar(session, calendar_id)
            existing = await repo.get_calendar(session, calendar_id)
            old = existing.calendar if existing is not None else None
            calendar = with_year(old, calendar_id, name, country, year, hours)
            stored, _ = await repo.save_calendar(session, calendar)
    finally:
        await engine.dispose()
    publisher = AgreementPublisher(kafka)  # after the commit, as agreements_sync does
    try:
        await publisher.publish_calendar(stored.calendar, stored.version)
    finally:
        await publisher.close()
    return stored


def main(argv: Sequence[str] | None = None) -> StoredCalendar:
    parser = argparse.ArgumentParser(description="Load public holidays into a shared calendar.")
    parser.add_argument("--country", required=True, help="ISO 3166 code, e.g. CN")
    parser.add_argument("--year", type=int, required=True)
    parser.add_argument("--calendar", required=True, help="calendar id, e.g. cn-default")
    parser.add_argument("--name", help="display name of a new calendar")
    parser.add_argument(
        "--hours",
        default="09:00-12:00,13:00-18:00",
        help="a working day's hours: weekly hours of a new calendar, make-up days' hours",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s [%(name)s] %(message)s")
    name = args.name or f"{args.country} public holidays"
    stored = asyncio.run(
        load(
            args.calendar,
            name,
            args.country,
            args.year,
            parse_hours(args.hours),
            DatabaseSettings(),
            KafkaSettings(),
        )
    )
    rules = stored.calendar.years[args.year]
    log.info(
        "calendar %s at version %d: %d holidays, %d extra working days in %d",
        args.calendar,
        stored.version,
        len(rules.holidays),
        len(rules.extra_working_days),
        args.year,
    )
    return stored


if __name__ == "__main__":
    main()
