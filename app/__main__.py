"""``python -m app``: the same as the ``sitesync`` command."""

import sys

from app.main import main

sys.exit(main())
