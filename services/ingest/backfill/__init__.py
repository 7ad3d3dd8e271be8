"""`slawatch-backfill`: a tool's export read through its connector into the v1 topics.

`readers.py` reads one export format into units (a line, a page) of raw records, each with
the position after it; `formats.py` names each format with its reader and the mapping its
connector gives the records; `checkpoint.py` remembers the position acknowledged last;
`runner.py` maps, publishes and checkpoints; `main.py` is the command. docs/connectors.md,
"Backfill".
"""
