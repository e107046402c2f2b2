"""TF1's distributed training: servers started by hand, variables placed on parameter servers
by a device function, synchronous replicas, a chief chosen by a flag."""

from __future__ import annotations

import ast

from tf2rec.tools.scan.names import keyword_arg
from tf2rec.tools.scan.rule import Rule

_MULTI_WORKER = (
    "`tf.distribute.MultiWorkerMirroredStrategy`, the cluster from TF_CONFIG "
    "(`tf2rec train --strategy multi-worker`; on one machine `tf2rec cluster local "
    "--workers 2 -- tf2rec train --strategy multi-worker ...`)"
)


class ServerRule(Rule):
    """TF1 programs started a `tf.train.Server` per task from a `ClusterSpec` built out of
    command-line flags, and ran `between-graph` replication on it. TF2 reads the cluster
    and the task from the `TF_CONFIG` environment variable, which every launcher sets, and
    a `tf.distribute` strategy does the rest."""

    id = "TF410"
    name = "tf1-server"
    message = "`{name}` starts a TF1 cluster task by hand"
    replacement = _MULTI_WORKER
    migrated = "tf2rec.migrated.distributed.make_strategy"
    names = frozenset({"tf.train.Server"})
    VALID = [
        "import tensorflow as tf\nstrategy = tf.distribute.MultiWorkerMirroredStrategy()\n",
    ]
    INVALID = [
        "import tensorflow as tf\n"
        "cluster = tf.train.ClusterSpec({'ps': ps_hosts, 'worker': worker_hosts})\n"
        "server = tf.train.Server(cluster, job_name='worker', task_index=0)\n",
    ]


class ReplicaDeviceSetterRule(Rule):
    """`tf.train.replica_device_setter` put each variable on a parameter server and each op
    on the worker, graph by graph. In TF2, `tf.distribute.ParameterServerStrategy` places
    the variables it creates, shards them with a `variable_partitioner`, and a
    `ClusterCoordinator` schedules the steps on the workers."""

    id = "TF411"
    name = "replica-device-setter"
    message = "`{name}` places variables on parameter servers by hand"
    replacement = (
        "`tf.distribute.ParameterServerStrategy` with a `ClusterCoordinator`, the embedding "
        "tables in one shard per parameter server (`tf2rec train --strategy parameter-server`; "
        "on one machine `tf2rec cluster local --workers 2 --ps 2 -- tf2rec train --strategy "
        "parameter-server ...`), or, for synchronous training, " + _MULTI_WORKER
    )
    migrated = "tf2rec.migrated.distributed.CoordinatedTraining"
    names = frozenset({"tf.train.replica_device_setter"})
    VALID = ["import tensorflow as tf\nstrategy = tf.distribute.MirroredStrategy()\n"]
    INVALID = [
        "import tensorflow as tf\n"
        "with tf.device(tf.train.replica_device_setter(cluster=cluster)):\n"
        "    w = tf.get_variable('w', [10, 4])\n",
    ]


class SyncReplicasRule(Rule):
    """`SyncReplicasOptimizer` aggregated the gradients of N workers on the parameter
    servers before applying them: synchronous data parallelism, which TF2's
    `MultiWorkerMirroredStrategy` does with all-reduce and no parameter server."""

    id = "TF412"
    name = "sync-replicas-optimizer"
    message = "`{name}` makes TF1 workers train synchronously through parameter servers"
    replacement = _MULTI_WORKER
    migrated = "tf2rec.migrated.distributed.train_steps"
    names = frozenset({"tf.train.SyncReplicasOptimizer"})
    VALID = ["import keras\noptimizer = keras.optimizers.SGD(0.1)\n"]
    INVALID = [
        "import tensorflow as tf\n"
        "opt = tf.train.SyncReplicasOptimizer(opt, replicas_to_aggregate=2)\n",
    ]


class ChiefFlagRule(Rule):
    """`MonitoredTrainingSession(is_chief=task_index == 0)` made one worker initialise,
    checkpoint and write summaries. With a `tf.distribute` strategy every worker runs the
    same program; the chief is the task TF_CONFIG names (worker 0), and only it writes what
    the run produces."""

    id = "TF413"
    name = "chief-flag"
    message = "`is_chief=` picks the TF1 chief worker by hand"
    replacement = (
        "run the same program on every worker; write outputs only where TF_CONFIG's task is "
        "worker 0 (`tf2rec train --strategy multi-worker` does)"
    )
    migrated = "tf2rec.migrated.distributed.is_chief"
    calls = frozenset({"is_chief="})
    VALID = ["import tensorflow as tf\nwith tf.compat.v1.Session() as sess:\n    pass\n"]
    INVALID = [
        "import tensorflow as tf\n"
        "with tf.train.MonitoredTrainingSession(master=server.target, is_chief=index == 0) as s:\n"
        "    pass\n",
    ]

    def on_call(self, ctx, node: ast.Call) -> None:
        resolved = ctx.resolve(node.func)
        if resolved is not None and resolved[0] == "tf.train.MonitoredTrainingSession":
            ctx.report(self, keyword_arg(node, "is_chief"))
