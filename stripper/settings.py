"""The one place for defaults. CLI options and API keywords read them."""

from dataclasses import dataclass, field, replace

#: Content keep the training threshold must reach on held-out documents,
#: per corpus. Losing reporting costs more than leaving debris, so the
#: threshold is the most aggressive one that still keeps this much.
KEEP_TARGETS = {"fixtures": 0.995, "docs": 0.99}


@dataclass(frozen=True)
class Settings:
    """Options for cleaning.

    - ``threshold``: debris score at or above which a block is removed;
      ``None`` uses the threshold chosen when the model was trained.
    - ``keep``: debris kinds to keep anyway (``{"related"}``...).
    - ``reflow``: join hard-wrapped lines of kept paragraphs.
    - ``split_glued``: cut debris glued onto the edge of a reporting
      paragraph ("...the vote passed.Support us today"). Off by default:
      on held-out real pages the cuts took more reporting than debris.
    - ``run_margin``: a block scoring within this of the threshold goes
      when a neighbour goes, so runs of debris take their doubtful edges
      along; 0 decides every block by the threshold alone.
    """

    threshold: float = None
    keep: frozenset = field(default_factory=frozenset)
    reflow: bool = False
    split_glued: bool = False
    run_margin: float = 0.13

    def with_options(self, **options):
        """A copy with the given options changed; unknown names raise TypeError."""
        unknown = set(options) - set(self.__dataclass_fields__)
        if unknown:
            raise TypeError(f"unknown option(s): {', '.join(sorted(unknown))}")
        if "keep" in options:
            options["keep"] = frozenset(options["keep"] or ())
        return replace(self, **options)


DEFAULTS = Settings()
