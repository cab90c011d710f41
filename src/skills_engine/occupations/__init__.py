"""occupations."""
