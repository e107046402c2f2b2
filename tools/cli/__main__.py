"""`python -m tf2rec.tools.cli`: the `tf2rec` command without the installed script."""

import sys

from tf2rec.tools.cli.main import main

sys.exit(main())
