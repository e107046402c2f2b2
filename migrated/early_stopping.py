"""Early stopping on validation Recall@10, written once for both training paths: `fit`'s
Keras callback (`ResumableEarlyStopping`) and the cluster loop (`distributed.fit_loop`).

The rule is Keras' `EarlyStopping` with `mode="max"`: an epoch improves when its score
beats the best so far (the first epoch always does); the count of epochs without
improvement starts again at each improvement, and training stops once it reaches
`patience`; the best epoch's weights are put back at the end. Its state is saved after
every epoch, so a run killed anywhere and resumed stops, and restores, as the
uninterrupted run does.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from tf2rec.atomic import write_atomically


@dataclass
class StoppingRule:
    """The best score, its epoch, the epochs since it, and when to stop."""

    patience: int
    best: float | None = None
    best_epoch: int = -1
    wait: int = 0

    def update(self, epoch: int, score: float) -> bool:
        """Record `epoch`'s score; whether it is the best so far."""
        if self.best is None or score > self.best:
            self.best, self.best_epoch, self.wait = float(score), epoch, 0
            return True
        self.wait += 1
        return False

    @property
    def stop(self) -> bool:
        return self.wait >= self.patience

    def state(self) -> dict:
        return {"wait": self.wait, "best": self.best, "best_epoch": self.best_epoch}

    def load(self, state: dict) -> None:
        self.wait, self.best, self.best_epoch = state["wait"], state["best"], state["best_epoch"]


def save_weights(path: Path, weights: list[np.ndarray]) -> None:
    """Weights as an .npz, under a temporary name renamed into place (whole or absent)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}")
    with open(tmp, "wb") as handle:
        np.savez(handle, *weights)
    os.replace(tmp, path)


def load_weights(path: Path) -> list[np.ndarray]:
    with np.load(path) as saved:
        prefix = "w" if "w0" in saved.files else "arr_"  # "w": as backups before 0.3 named them
        return [saved[f"{prefix}{i}"] for i in range(len(saved.files))]


class ResumableEarlyStopping(keras.callbacks.Callback):
    """`StoppingRule` on `monitor` as a Keras callback; its state and the best weights are
    saved in the run's backup after every epoch (Keras' own `EarlyStopping` starts counting
    afresh on a resume, and forgets the best weights of before the kill).

    The state after each epoch is its own file, and the first epoch after a resume loads the
    one of the epoch before it: correct whichever of the two backups a kill fell between.
    The states of the last three epochs are kept (the backup may fall back one epoch, when
    its latest file is damaged).
    """

    KEPT_EPOCHS = 3

    def __init__(self, folder: str | Path, monitor: str, patience: int) -> None:
        super().__init__()
        self.folder = Path(folder)
        self.monitor = monitor
        self.rule = StoppingRule(patience)
        self.best_weights: list[np.ndarray] | None = None
        self._resumed = False

    def on_train_begin(self, logs=None) -> None:
        self.rule = StoppingRule(self.rule.patience)
        self.best_weights = None
        self._resumed = False

    def on_epoch_begin(self, epoch, logs=None) -> None:
        if self._resumed:
            return
        self._resumed = True
        state = self.folder / f"state-{epoch - 1}.json"
        if epoch == 0 or not state.is_file():
            return
        saved = json.loads(state.read_text())
        self.rule.load(saved)
        if saved["best_weights"]:
            self.best_weights = load_weights(self.folder / saved["best_weights"])

    def on_epoch_end(self, epoch, logs=None) -> None:
        score = (logs or {}).get(self.monitor)
        if score is None:
            return
        if self.rule.update(epoch, score):
            self.best_weights = self.model.get_weights()
        if self.rule.stop and epoch > 0:
            self.model.stop_training = True
        self._save(epoch)

    def on_train_end(self, logs=None) -> None:
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)

    def _save(self, epoch: int) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        weights = None
        if self.best_weights is not None:
            weights = f"best-{self.rule.best_epoch}.npz"
            if not (self.folder / weights).exists():
                save_weights(self.folder / weights, self.best_weights)
        state = {**self.rule.state(), "best_weights": weights}
        write_atomically(self.folder / f"state-{epoch}.json", json.dumps(state))
        self._forget_before(epoch)

    def _forget_before(self, epoch: int) -> None:
        """Keep the states of the last epochs, and the weights they name."""
        kept = {f"state-{e}.json" for e in range(epoch - self.KEPT_EPOCHS + 1, epoch + 1)}
        named = set()
        for name in kept:
            if (self.folder / name).is_file():
                named.add(json.loads((self.folder / name).read_text())["best_weights"])
        for path in self.folder.iterdir():
            if path.name.startswith("state-") and path.name not in kept:
                path.unlink()
            elif path.name.startswith("best-") and path.name not in named:
                path.unlink()
