"""The numbers behind the simulated contact center: mixes, delays, ids and the day's shape.

Why a module of its own: the lifecycles read as stories ("the agent answers after a first
response time that fits the priority"); the figures behind those words live here, in one
place to tune. Everything draws from the caller's `random.Random`, so a seed replays a run.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from services.core.contract.events import Channel, Priority

T = TypeVar("T")

CHANNEL_MIX: Mapping[Channel, float] = {
    Channel.EMAIL: 0.38,
    Channel.WEB: 0.22,
    Channel.CHAT: 0.22,
    Channel.PHONE: 0.10,
    Channel.SOCIAL: 0.08,
}
PRIORITY_MIX: Mapping[Priority, float] = {
    Priority.LOW: 0.25,
    Priority.NORMAL: 0.50,
    Priority.HIGH: 0.18,
    Priority.URGENT: 0.07,
}
# Survey scores lean to the top box, as real CSAT surveys do.
SCORE_MIX: Mapping[int, float] = {5: 0.52, 4: 0.26, 3: 0.10, 2: 0.05, 1: 0.07}
QUEUES = ("billing", "technical", "orders", "general")

# First response: median at 30 % of the target with a log-spread of 1.1, so about 86 % of
# responses meet the target and the rest breach it, some by far.
FRT_MEDIAN_OF_TARGET = 0.30
FRT_SIGMA = 1.1

# Relative arrival rate at each local hour 0..23 (interpolated between hours), scaled to a
# mean of 1 over the day: quiet nights, a morning ramp, busy late morning and afternoon.
_HOURLY = (0.15, 0.10, 0.08, 0.08, 0.12, 0.25, 0.55, 1.00, 1.50, 1.80, 1.90, 1.80,
           1.50, 1.60, 1.75, 1.70, 1.50, 1.20, 0.95, 0.75, 0.60, 0.45, 0.30, 0.20)  # fmt: skip
DAY_SHAPE = tuple(w * len(_HOURLY) / sum(_HOURLY) for w in _HOURLY)
PEAK_LOAD = max(DAY_SHAPE)

MAX_DELAY_SECONDS = 6 * 86_400.0


def pick(rng: random.Random, mix: Mapping[T, float]) -> T:
    """One item of a weighted mix."""
    return rng.choices(list(mix), weights=list(mix.values()))[0]


def lognormal(
    rng: random.Random, median: float, sigma: float, cap: float = MAX_DELAY_SECONDS
) -> float:
    """A positive duration with the given median and log-spread, at most `cap`."""
    return min(median * rng.lognormvariate(0.0, sigma), cap)


def first_response_seconds(rng: random.Random, target_seconds: float) -> float:
    """A first response time fitting a priority's target: mostly within, sometimes not."""
    return max(5.0, lognormal(rng, target_seconds * FRT_MEDIAN_OF_TARGET, FRT_SIGMA))


def load_at(at: float, zone: ZoneInfo) -> float:
    """Relative arrival rate at an instant, by the local time of day in `zone`."""
    local = datetime.fromtimestamp(at, zone)
    hour = local.hour + local.minute / 60 + local.second / 3600
    i = int(hour)
    frac = hour - i
    return DAY_SHAPE[i] * (1 - frac) + DAY_SHAPE[(i + 1) % 24] * frac


def new_uuid(rng: random.Random) -> str:
    """A version-4 UUID from the seeded generator (reproducible, unlike `uuid.uuid4`)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def short_id(rng: random.Random, prefix: str) -> str:
    """An entity id such as `T-3fa85f64a2b1`: 48 random bits behind a prefix."""
    return f"{prefix}-{rng.getrandbits(48):012x}"


def rfc3339(at: float) -> str:
    """Epoch seconds as an RFC 3339 UTC timestamp with millisecond precision."""
    text = datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")
