"""``python -m aigve.cli ...`` is the ``aigve`` command (the service's job processes run it this way)."""
import sys

from aigve.cli import main

sys.exit(main())
