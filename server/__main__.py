"""``python -m server`` runs the ``personagen`` command line."""

from server.cli import main

raise SystemExit(main())
