"""What the agreement routes share: domain errors as problems, the after-write step."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.catalog import AgreementCatalog, AgreementInfo
from services.core.agreements.targets import TargetVersionConflict
from services.core.http.problems import ProblemError
from services.core.storage import agreement_changes as changes
from services.core.storage import agreements_repo as repo
from services.core.storage.agreements_repo import StoredAgreement


def unknown_agreement(agreement_id: str) -> ProblemError:
    """The 404 problem of an agreement id nobody stored."""
    detail = f"no agreement {agreement_id!r}"
    return ProblemError(404, "Unknown agreement", detail, "unknown-agreement")


def known_agreement(agreements: Mapping[str, AgreementInfo], agreement_id: str) -> AgreementInfo:
    """The catalogue's entry of `agreement_id`, or the 404 problem."""
    info = agreements.get(agreement_id)
    if info is None:
        raise unknown_agreement(agreement_id)
    return info


@contextmanager
def change_problems() -> Iterator[None]:
    """Domain errors of a change as problem answers."""
    try:
        yield
    except changes.AgreementNotFound as exc:
        raise unknown_agreement(str(exc)) from None
    except changes.TargetNotFound as exc:
        raise ProblemError(404, "Unknown target", f"no target {exc}", "unknown-target") from None
    except changes.CalendarNotFound as exc:
        detail = f"no calendar {exc}: store it first (PUT /v1/calendars/{exc})"
        raise ProblemError(422, "Unknown calendar", detail, "unknown-calendar") from None
    except TargetVersionConflict as exc:
        raise ProblemError(409, "Target version conflict", str(exc), "target-conflict") from None
    except ValidationError as exc:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        detail = "; ".join(e["msg"] for e in exc.errors())
        raise ProblemError(
            422, "Invalid agreement", detail, "invalid-agreement", errors=errors
        ) from None


async def written(catalog: AgreementCatalog, stored: StoredAgreement) -> None:
    """After a commit: this replica knows the change at once, and the workers hear of it."""
    catalog.remember(stored)
    await catalog.publish_pending()  # a failure is retried by the catalog's refresh loop


async def stored_or_404(session: AsyncSession, agreement_id: str) -> StoredAgreement:
    stored = await repo.get_agreement(session, agreement_id)
    if stored is None:
        raise unknown_agreement(agreement_id)
    return stored
