"""Analysis of session files: DuckDB views, lap tables, lap comparison, corners, export."""
