"""Rendering of the review pack: one `ReviewPack` to HTML (Jinja2) and PDF (WeasyPrint).

Reuses the monthly report's renderer: its Babel formats, SVG charts, style sheet, PDF
writer and the catalogue of shared names (KPIs, statuses, measure kinds) as a fallback
behind the pack's own catalogue (`locale/`, domain `reviews`).
"""
