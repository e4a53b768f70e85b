"""The only code that touches profiles/: validated names, atomic writes, journal, backups."""
