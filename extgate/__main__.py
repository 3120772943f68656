"""``python -m extgate`` is the same as the ``extgate`` console script."""

import sys

from extgate.cli import main

sys.exit(main())
