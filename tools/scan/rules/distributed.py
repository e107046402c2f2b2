"""TF1's distributed training: servers started by hand, variables placed on parameter servers
by a device function, synchronous replicas, a chief chosen by a flag."""

from __future__ import annotations

import ast

from tf2rec.tools.scan.names import keyword_arg
from tf2rec.tools.scan.rule import Expect, Invalid, Rule, Valid

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
    fix_safety = (
        "`tf.compat.v1.train.Server` is the same class, so each task starts the same "
        "server for the same cluster; the replication around it stays TF1's."
    )
    VALID = [
        Valid(
            """
            import tensorflow as tf
            strategy = tf.distribute.MultiWorkerMirroredStrategy()
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            cluster = tf.train.ClusterSpec({'ps': ps_hosts, 'worker': worker_hosts})
            server = tf.train.Server(cluster, job_name='worker', task_index=0)
            """,
            [
                Expect(
                    3,
                    10,
                    "`tf.train.Server` starts a TF1 cluster task by hand "
                    "(`tf.train.Server` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            cluster = tf.train.ClusterSpec({'ps': ps_hosts, 'worker': worker_hosts})
            server = tf.compat.v1.train.Server(cluster, job_name='worker', task_index=0)
            """,
        ),
        Invalid(
            """
            import tensorflow as tf


            def main(_):
                cluster = tf.train.ClusterSpec({'ps': FLAGS.ps_hosts.split(','),
                                                'worker': FLAGS.worker_hosts.split(',')})
                server = tf.train.Server(cluster,
                                         job_name=FLAGS.job_name,
                                         task_index=FLAGS.task_index)
                if FLAGS.job_name == 'ps':
                    server.join()
            """,
            [
                Expect(
                    7,
                    14,
                    "`tf.train.Server` starts a TF1 cluster task by hand "
                    "(`tf.train.Server` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf


            def main(_):
                cluster = tf.train.ClusterSpec({'ps': FLAGS.ps_hosts.split(','),
                                                'worker': FLAGS.worker_hosts.split(',')})
                server = tf.compat.v1.train.Server(cluster,
                                         job_name=FLAGS.job_name,
                                         task_index=FLAGS.task_index)
                if FLAGS.job_name == 'ps':
                    server.join()
            """,
        ),
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
    fix_safety = (
        "`tf.compat.v1.train.replica_device_setter` is the same function, so every variable is "
        "placed on the same parameter server as before."
    )
    VALID = [
        Valid(
            """
            import tensorflow as tf
            strategy = tf.distribute.MirroredStrategy()
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            with tf.device(tf.train.replica_device_setter(cluster=cluster)):
                w = tf.get_variable('w', [10, 4])
            """,
            [
                Expect(
                    2,
                    16,
                    "`tf.train.replica_device_setter` places variables on parameter "
                    "servers by hand (`tf.train.replica_device_setter` no longer exists "
                    "in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            with tf.device(tf.compat.v1.train.replica_device_setter(cluster=cluster)):
                w = tf.get_variable('w', [10, 4])
            """,
        ),
        Invalid(
            """
            import tensorflow as tflow

            with tflow.device(tflow.train.replica_device_setter(
                    worker_device='/job:worker/task:%d' % FLAGS.task_index,
                    cluster=cluster)):
                model = build_model()
            """,
            [
                Expect(
                    3,
                    19,
                    "`tf.train.replica_device_setter` places variables on parameter "
                    "servers by hand (`tf.train.replica_device_setter` no longer exists "
                    "in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tflow

            with tflow.device(tflow.compat.v1.train.replica_device_setter(
                    worker_device='/job:worker/task:%d' % FLAGS.task_index,
                    cluster=cluster)):
                model = build_model()
            """,
        ),
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
    fix_safety = (
        "`tf.compat.v1.train.SyncReplicasOptimizer` is the same class: the workers still "
        "aggregate as many gradients on the parameter servers before each update."
    )
    VALID = [
        Valid(
            """
            import keras
            optimizer = keras.optimizers.SGD(0.1)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            opt = tf.train.SyncReplicasOptimizer(opt, replicas_to_aggregate=2)
            """,
            [
                Expect(
                    2,
                    7,
                    "`tf.train.SyncReplicasOptimizer` makes TF1 workers train "
                    "synchronously through parameter servers "
                    "(`tf.train.SyncReplicasOptimizer` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf
            opt = tf.compat.v1.train.SyncReplicasOptimizer(opt, replicas_to_aggregate=2)
            """,
        ),
        Invalid(
            """
            import tensorflow as tf

            opt = tf.train.AdamOptimizer(0.001)
            opt = tf.train.SyncReplicasOptimizer(
                opt, replicas_to_aggregate=num_workers, total_num_replicas=num_workers)
            sync_hook = opt.make_session_run_hook(is_chief)
            """,
            [
                Expect(
                    4,
                    7,
                    "`tf.train.SyncReplicasOptimizer` makes TF1 workers train "
                    "synchronously through parameter servers "
                    "(`tf.train.SyncReplicasOptimizer` no longer exists in TF 2.21's `tensorflow`)",
                ),
            ],
            fixed="""
            import tensorflow as tf

            opt = tf.train.AdamOptimizer(0.001)
            opt = tf.compat.v1.train.SyncReplicasOptimizer(
                opt, replicas_to_aggregate=num_workers, total_num_replicas=num_workers)
            sync_hook = opt.make_session_run_hook(is_chief)
            """,
        ),
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
    VALID = [
        Valid(
            """
            import tensorflow as tf
            with tf.compat.v1.Session() as sess:
                pass
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            with tf.train.MonitoredTrainingSession(master=server.target, is_chief=index == 0) as s:
                pass
            """,
            [
                Expect(2, 62, "`is_chief=` picks the TF1 chief worker by hand"),
            ],
        ),
        Invalid(
            """
            import tensorflow as tflow

            is_chief = FLAGS.task_index == 0
            with tflow.train.MonitoredTrainingSession(master=server.target,
                                                      is_chief=is_chief,
                                                      hooks=hooks) as mon_sess:
                pass
            """,
            [
                Expect(5, 43, "`is_chief=` picks the TF1 chief worker by hand"),
            ],
        ),
    ]

    def on_call(self, ctx, node: ast.Call) -> None:
        resolved = ctx.resolve(node.func)
        if resolved is not None and resolved[0] == "tf.train.MonitoredTrainingSession":
            ctx.report(self, keyword_arg(node, "is_chief"))
