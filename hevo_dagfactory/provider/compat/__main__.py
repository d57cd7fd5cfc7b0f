"""``python -m hevo_dagfactory.provider.compat``: this line's stack profile as JSON (for the demo harness)."""

import json

from hevo_dagfactory.provider.compat.stack import stack_profile

print(json.dumps(stack_profile()))
