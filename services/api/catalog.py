"""The agreements the API knows: measurement parameters plus the names people read.

The agreements file is the single source of which agreements exist; the engine's model keeps
only measurement parameters, so the display fields (`name`, `client`) are read beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from services.core.agreements import MeasurementParams, load_measurement_params


@dataclass(frozen=True, slots=True)
class AgreementInfo:
    """One agreement as the API presents it."""

    params: MeasurementParams
    name: str
    client: str

    @property
    def agreement_id(self) -> str:
        return self.params.agreement_id


def load_agreements(path: Path) -> dict[str, AgreementInfo]:
    """Every agreement of the YAML/JSON agreements file, by id."""
    params = load_measurement_params(path)
    raw: dict[str, Any] = yaml.safe_load(path.read_text())
    extra = {str(a["agreement_id"]): a for a in raw["agreements"]}
    return {
        agreement_id: AgreementInfo(
            params=p,
            name=str(extra[agreement_id].get("name") or agreement_id),
            client=str(extra[agreement_id].get("client") or ""),
        )
        for agreement_id, p in params.items()
    }
