"""The ReplicaSet and ReplicationController controller (`controller.py`), its pod deletion
ranking (`ranking.py`), status (`status.py`) and the two kinds it manages (`kinds.py`)."""

from kubelite.controllers.replicaset.controller import ReplicaSetController
from kubelite.controllers.replicaset.kinds import REPLICA_SET, REPLICATION_CONTROLLER, ReplicaKind

__all__ = ["REPLICATION_CONTROLLER", "REPLICA_SET", "ReplicaKind", "ReplicaSetController"]
