"""The one place for defaults: cleaning options, I/O limits, batch sizes.

CLI options and API keywords read them; nothing else hard-codes a default.
"""

from dataclasses import dataclass, field, replace

from .errors import OptionError
from .labels import BOILERPLATE_KINDS

#: The keep targets a trained model records an operating point for: the
#: share of reporting kept on held-out real pages. The first is the
#: default threshold's: losing reporting costs more than leaving debris in.
KEEP_TARGETS = (0.99, 0.98, 0.97)

#: Texts cleaned per call of the cleaning path on streams (JSONL records,
#: Dask partitions, groups of small files): big enough to batch the
#: model's work, small enough that memory does not grow with the stream.
#: Fixed, so output never depends on how a run is split up.
CHUNK = 64
#: A directory batch scores small files in groups of at most this many
#: files or bytes of input.
GROUP_FILES = 64
GROUP_BYTES = 1 << 20
#: The largest text (a file, or one JSONL record's field) cleaned by
#: default, in bytes of UTF-8. Cleaning needs a bounded multiple of it in
#: memory (see README); larger inputs are refused with one line naming
#: them. ``--max-record-bytes 0`` lifts the limit.
MAX_RECORD_BYTES = 32 << 20
#: Site evidence: the fingerprints a gathering pass holds in memory before it
#: spills them to files in OUTDIR (a page's are about 1.5 KB).
GATHER_MEMORY = 256 << 20
#: How long a ``--scheduler`` address may take to answer, in seconds.
SCHEDULER_TIMEOUT = 5


@dataclass(frozen=True)
class Settings:
    """Options for cleaning.

    - ``threshold``: debris score at or above which a block is removed;
      ``None`` uses ``keep_target``'s operating point, or else the
      threshold the model was trained to use.
    - ``keep_target``: pick the threshold that kept this share of
      reporting on held-out real pages when the model was trained (0.99,
      0.98, 0.97...): lower removes more debris and loses more reporting.
    - ``keep``: debris kinds to keep anyway (``{"related"}``...).
    - ``reflow``: join hard-wrapped lines of kept paragraphs.
    - ``split_glued``: cut debris glued onto the edge of a reporting
      paragraph ("...the vote passed.Support us today"). Off by default:
      on held-out real pages the cuts took more reporting than debris.
    - ``site_evidence``: clean pages of one site with what the site's other
      pages show, where the caller names each page's site; False cleans
      every page alone.
    - ``run_margin``: a unit scoring within this of the threshold goes
      when a neighbour goes, so runs of debris take their doubtful edges
      along; 0 decides every unit by the threshold alone; ``None`` uses
      the margin the model was trained with.
    """

    threshold: float = None
    keep_target: float = None
    keep: frozenset = field(default_factory=frozenset)
    reflow: bool = False
    split_glued: bool = False
    run_margin: float = None
    site_evidence: bool = True

    def __post_init__(self):
        _check_fraction("threshold", self.threshold, allow_none=True)
        _check_fraction("keep_target", self.keep_target, allow_none=True)
        _check_fraction("run_margin", self.run_margin, allow_none=True)
        unknown = sorted(set(self.keep) - set(BOILERPLATE_KINDS))
        if unknown:
            raise OptionError(f"unknown debris kind(s) to keep: {', '.join(map(str, unknown))} "
                              f"(known: {', '.join(BOILERPLATE_KINDS)})")

    def with_options(self, **options):
        """A copy with the given options changed.

        Unknown names raise TypeError (as an unknown keyword would); values
        stripper does not accept raise :class:`OptionError`.
        """
        unknown = set(options) - set(self.__dataclass_fields__)
        if unknown:
            raise TypeError(f"unknown option(s): {', '.join(sorted(unknown))}")
        if "keep" in options:
            keep = options["keep"] or ()
            options["keep"] = frozenset([keep] if isinstance(keep, str) else keep)
        return replace(self, **options)


def _check_fraction(name, value, allow_none=False):
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise OptionError(f"{name} must be a number from 0 to 1, not {value!r}")


DEFAULTS = Settings()
