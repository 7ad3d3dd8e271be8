"""Agreements as the parties sign them: model, term, KPI targets, SLA evaluation, calendars."""
