"""`python -m neurotriage.staff`: serves the staff view on STAFF_HOST:STAFF_PORT until Ctrl-C."""
import sys

from neurotriage.staff.server import main

if __name__ == "__main__":
    sys.exit(main())
