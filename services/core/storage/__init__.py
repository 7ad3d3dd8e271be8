"""PostgreSQL: table models, migrations, sessions and one repository module per concern."""
