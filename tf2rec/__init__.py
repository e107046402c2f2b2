"""tf2rec: move a TensorFlow 1.x recommender to TensorFlow 2 / Keras 3 (scan, prove, train).

One import name for the whole kit; the repository's folders are its parts:
`tf2rec.interactions` (interactions/), `tf2rec.legacy` (legacy/), `tf2rec.migrated`
(migrated/) and `tf2rec.tools` (tools/). Importing `tf2rec` imports none of them, and so no
TensorFlow.
"""
