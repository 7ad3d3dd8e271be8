"""A satisfaction survey, answered some time after a resolved ticket or completed call."""

from __future__ import annotations

from services.simulator.draws import SCORE_MIX, lognormal, pick, short_id
from services.simulator.scene import Process, Scene


def survey(
    scene: Scene, at: float, *, ticket_id: str | None = None, call_id: str | None = None
) -> Process:
    """One `survey.submitted` about a ticket or a call, usually within hours of `at`."""
    rng = scene.rng
    t = at + lognormal(rng, 1800, 1.0, cap=3 * 86_400)
    subject = {"ticket_id": ticket_id} if ticket_id is not None else {"call_id": call_id}
    yield (
        t,
        scene.event(
            "survey.submitted",
            t,
            survey_id=short_id(rng, "S"),
            score=pick(rng, SCORE_MIX),
            **subject,
        ),
    )
