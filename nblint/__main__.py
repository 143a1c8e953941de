import sys

from nblint.cli import main

sys.exit(main())
