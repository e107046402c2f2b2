"""The names of the files in a model directory, defined once for every part that reads or
writes one (both trainers, serving, the converter, the CLI).

Here, beside `ModelSpec`, because this is the one package that both the legacy side and the
migrated side import without switching TensorFlow's behaviour either way.
"""

MARKER_FILE = "tf2rec-model.json"  # what wrote the directory, its settings and checksums
VOCAB_FILE = "vocab.json"  # raw id <-> index maps (interactions/vocab.py), both sides

# `tf2rec legacy-train` (legacy/train.py)
HPARAMS_FILE = "hparams.json"  # the ModelSpec and training settings
CHECKPOINT_PREFIX = "model.ckpt"  # the Saver's files: model.ckpt-STEP.index / .data-*

# `tf2rec train` (migrated/train.py)
CONFIG_FILE = "config.json"  # settings and final metrics
MODEL_FILE = "model.keras"  # the Keras model, loads in safe mode
WEIGHTS_FILE = "model.weights.h5"  # weights only (`tf2rec convert` writes it too)
SAVED_MODEL_DIR = "saved_model"  # the TF Serving export
# each user's training items and the item counts, for `tf2rec recommend` (user_items.py);
# every model directory has it (both trainers write it, `convert` copies it)
USER_ITEMS_FILE = "user_items.npz"
USER_ITEMS_FILE_BEFORE_0_2 = "history.npz"  # its name in older directories, still read
LOGS_DIR = "logs"  # TensorBoard, both sides
BACKUP_DIR = "backup"  # BackupAndRestore while a run is in progress
