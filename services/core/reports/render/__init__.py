"""Rendering of the report: one `Report` model to HTML (Jinja2) and PDF (WeasyPrint).

Templates hold layout only; every text is in the message catalogues under `locale/`
(Babel `.po`, zh_CN and en); numbers, dates and durations go through Babel's formatters
(`i18n.py`); charts are SVG drawn here in Python (`charts.py`).
"""
