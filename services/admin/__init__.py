"""Command-line tools that write to the database: API keys, holidays, agreements file."""
