"""What the HTTP services share on the wire: problem answers and API-key dependencies.

The only part of the shared library that knows FastAPI; the rest stays usable by the workers.
"""
