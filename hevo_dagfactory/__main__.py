import sys

from hevo_dagfactory.cli import main

sys.exit(main())
