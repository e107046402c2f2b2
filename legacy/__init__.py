"""The "before": a TF1 graph-mode two-tower recommender running on tf.compat.v1."""
