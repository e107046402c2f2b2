"""The backup a killed `tf2rec train` resumes from, written so that a kill cannot damage it.

Keras' `BackupAndRestore` writes its weights over the last ones in place: a kill while it
writes leaves a truncated file, and every later run fails to load it. Here each epoch's
weights go to a file of their own under a temporary name, renamed when complete; then the
index (`training_metadata.json`, replaced atomically) names the last two with their
SHA-256. On resume the newest file whose checksum matches and which loads is used; one that
does not is set aside (renamed `*.damaged`) with one line, and the run resumes from the state
before it, or starts over when there is none.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import keras

from tf2rec.atomic import write_atomically

INDEX = "training_metadata.json"  # Keras' name, so a backup of an older run is recognised
KERAS_WEIGHTS = "latest.weights.h5"  # what Keras' own callback wrote (older runs)
KEPT = 2  # states the index names: the newest and the one before


def _to_stderr(line: str) -> None:
    print(f"tf2rec: {line}", file=sys.stderr)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class VerifiedBackup(keras.callbacks.BackupAndRestore):
    """`BackupAndRestore` (per epoch, removed when the run completes) whose files a kill
    cannot leave half-written, checked before they are loaded (see the module docstring).
    `announce` receives the line about a damaged file set aside."""

    def __init__(self, backup_dir: str | Path, announce: Callable[[str], None] = _to_stderr):
        super().__init__(str(backup_dir))
        self.folder = Path(backup_dir)
        self.announce = announce

    def on_train_begin(self, logs=None) -> None:
        if not self.model.optimizer.built:
            self.model.optimizer.build(self.model.trainable_variables)
        states = self._states()
        for i, state in enumerate(states):
            reason = self._restore(state)
            if reason is None:
                self.model._initial_epoch = state["epoch"]
                return
            path = self.folder / state["weights"]
            path.replace(path.with_name(path.name + ".damaged"))
            following = states[i + 1 :]
            then = (
                f"resuming from epoch {following[0]['epoch']}"
                if following
                else "starting the run over"
            )
            self.announce(
                f"{path}: damaged backup ({reason}); set aside as {path.name}.damaged, {then}"
            )

    def _states(self) -> list[dict]:
        """The saved states, newest first: the index's, or the one of Keras' own layout."""
        try:
            index = json.loads((self.folder / INDEX).read_text())
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as err:
            self.announce(f"{self.folder / INDEX}: unreadable ({err}); starting the run over")
            return []
        if isinstance(index, dict) and isinstance(index.get("states"), list):
            return [s for s in index["states"] if isinstance(s, dict) and "weights" in s]
        if isinstance(index, dict) and isinstance(index.get("epoch"), int):
            return [{"epoch": index["epoch"], "weights": KERAS_WEIGHTS, "sha256": None}]
        return []

    def _restore(self, state: dict) -> str | None:
        """Load `state` into the model and its optimizer; why not, when it cannot be."""
        path = self.folder / state["weights"]
        if not path.is_file():
            return "missing"
        if state.get("sha256") not in (None, sha256(path)):
            return "its checksum differs from the one written with it"
        variables = [*self.model.variables, *self.model.optimizer.variables]
        before = [v.numpy() for v in variables]
        try:
            self.model.load_weights(str(path))
        except (OSError, ValueError, KeyError) as err:
            for variable, value in zip(variables, before, strict=True):
                variable.assign(value)  # a load that failed half-way leaves nothing
            return f"{type(err).__name__}: {str(err).splitlines()[0][:120]}"
        return None

    def _save_model(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        epoch = self._current_epoch
        name = f"epoch-{epoch}.weights.h5"
        tmp = self.folder / f".saving-{name}"
        self.model.save_weights(str(tmp), overwrite=True)
        os.replace(tmp, self.folder / name)
        state = {"epoch": epoch, "weights": name, "sha256": sha256(self.folder / name)}
        states = [state, *(s for s in self._states() if s["weights"] != name)][:KEPT]
        write_atomically(self.folder / INDEX, json.dumps({"states": states}))
        named = {s["weights"] for s in states}
        for path in self.folder.glob("*.weights.h5"):
            if path.name not in named:
                path.unlink()
