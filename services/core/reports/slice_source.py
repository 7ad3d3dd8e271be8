"""The report's slices, read exactly as `GET /v1/agreements/{id}/kpis?period=...&by=...`.

`KpiSlices` answers `SliceProvider.slices` with `agreement_kpis_by`, the function behind the
KPI API's `by=`: the same slice buckets, the same evaluation, at the same instant as the
report's month figures (its stream time), so a report's slice equals the API's figure for
that period and slice. Each dimension is read once per report and serves every KPI.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.core.kpi.params import MeasurementParams
from services.core.reports.breakdowns import DIMENSIONS, NoSlices, SliceFigure, SliceProvider
from services.core.storage.kpi_reader import KpiReader
from services.core.storage.kpi_slices import SlicedKpis, SliceReader, agreement_kpis_by


class KpiSlices:
    """Slices of one agreement's KPIs per period, evaluated at `as_of`."""

    def __init__(self, reader: SliceReader, params: MeasurementParams, as_of: float) -> None:
        self._reader, self._params, self._as_of = reader, params, as_of
        self._read: dict[tuple[str, str], SlicedKpis] = {}

    async def slices(
        self, agreement_id: str, kpi: str, dimension: str, period: str
    ) -> Sequence[SliceFigure] | None:
        """The API's slices of `dimension` with items for `kpi`, by key; None for a
        dimension the report does not show (`agent`: personal data, docs/reports.md)."""
        if agreement_id != self._params.agreement_id:
            raise ValueError(f"slices of {self._params.agreement_id!r}, not {agreement_id!r}")
        if dimension not in DIMENSIONS:
            return None
        key = (dimension, period)
        if key not in self._read:
            self._read[key] = await agreement_kpis_by(
                self._reader, self._params, dimension, as_of=self._as_of, period=period
            )
        window = self._read[key].windows.get(period)
        if window is None:
            return []
        # A slice with items of other KPIs only (e.g. calls for a ticket KPI) has n = 0 here:
        # it says nothing about this KPI, so it is left out.
        return [
            SliceFigure(key=value, value=figure.value, n=figure.n)
            for value, result in sorted(window.slices.items())
            if (figure := result.figures.get(kpi)) is not None and figure.n > 0
        ]


def slice_provider(
    reader: KpiReader, params: MeasurementParams, stream_time: float | None
) -> SliceProvider:
    """`KpiSlices` when `reader` has slices and the stream has started, else `NoSlices`
    (the breakdowns section then says they are not available)."""
    if stream_time is None or not isinstance(reader, SliceReader):
        return NoSlices()
    return KpiSlices(reader, params, stream_time)
