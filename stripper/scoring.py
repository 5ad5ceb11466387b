"""The loaded model as the decision rules see it: scores, kinds, thresholds.

:class:`Model` wraps a loaded model bundle behind the few calls the
cleaning path makes, so the rules in :mod:`stripper.core` do not depend on
how the model computes its scores or is stored.
"""

import numpy as np

from .errors import OptionError
from .features import block_rows


class Model:
    """A loaded model: per-block debris scores, debris kinds, operating points."""

    def __init__(self, bundle):
        self.bundle = bundle
        self.card = bundle.get("card", {})

    @property
    def version(self):
        """The model's version string from its card."""
        return self.card.get("version", "unknown")

    @property
    def threshold(self):
        """The threshold the model was trained to use."""
        return float(self.bundle["threshold"])

    def operating_points(self):
        """``[{"keep_target", "threshold", "keep", "remove"}, ...]`` from the card."""
        return list(self.card.get("operating_points", []))

    def threshold_for(self, keep_target):
        """The threshold whose held-out keep reached ``keep_target`` at training time."""
        points = self.operating_points()
        if not points:
            raise OptionError("this model records no operating points; "
                              "use --threshold, or retrain with `stripper train`")
        reaching = [p for p in points if p["keep_target"] >= keep_target - 1e-9]
        if not reaching:
            targets = ", ".join(f"{p['keep_target']:g}" for p in points)
            raise OptionError(f"keep target {keep_target:g} is above every operating point "
                              f"of this model ({targets})")
        return float(min(reaching, key=lambda p: p["keep_target"])["threshold"])

    def document_scores(self, documents, memo):
        """Debris scores of every block of every document (a list of block lists).

        ``memo`` maps a block's text to its score read alone: that score
        depends on the text only, so a caller scoring the same blocks again
        (with others removed) passes the same dict and pays for it once.
        """
        rows = [row for n, blocks in enumerate(documents) for row in block_rows(blocks, n)]
        if not rows:
            return [np.zeros(0) for _ in documents]
        detector = self.bundle["detector"]
        missing = list({row["text"]: row for row in rows if row["text"] not in memo}.values())
        if missing:
            memo.update(zip((row["text"] for row in missing), detector.block_scores(missing)))
        alone = np.array([memo[row["text"]] for row in rows])
        scores = detector.predict_proba(rows, alone)[:, 1]
        return np.split(scores, np.cumsum([len(blocks) for blocks in documents])[:-1])

    def scores_alone(self, blocks):
        """Each block's debris score read alone, without its neighbours."""
        return self.bundle["detector"].block_scores(block_rows(blocks))

    def kinds(self, blocks):
        """The debris kind of each block."""
        return self.bundle["kinds"].predict(block_rows(blocks)) if blocks else []
