"""``python -m kgservice.cli``."""

import sys

from kgservice.cli.main import main

sys.exit(main())
