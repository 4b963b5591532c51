import sys

from findcolor.cli import main

sys.exit(main())
