"""``python -m hevo_dagfactory.provider.compat [cluster [--check]]``: this line's stack profile as JSON.

Without arguments the local stack's profile (the demo harness reads it); with ``cluster`` the production-shaped
stack's (``make demo-cluster``); ``cluster --check`` prints nothing and exits 1, saying why on stderr, when this
environment cannot run the cluster (``make install-cluster`` uses it).
"""

import json
import sys

from hevo_dagfactory.provider.compat.cluster import cluster_profile
from hevo_dagfactory.provider.compat.stack import stack_profile

if sys.argv[1:] == ["cluster", "--check"]:
    why = cluster_profile()["unavailable"]
    if why:
        sys.exit(f"cannot run the cluster stack: {why}")
elif sys.argv[1:] == ["cluster"]:
    print(json.dumps(cluster_profile()))
else:
    print(json.dumps(stack_profile()))
