"""The Python API: :class:`Stripper` and the module-level :func:`clean`, :func:`classify`.

A :class:`Stripper` holds options and a lazily loaded model; every call
goes through :func:`stripper.core.clean_documents`, the one cleaning path.
"""

from .core import clean_documents
from .errors import InputError, OptionError
from .modelfile import load_model
from .settings import DEFAULTS


class Stripper:
    """A model, loaded once on first use, and default options for every call.

    ``Stripper(model=None)`` uses the bundled default model; ``model`` may
    name another model folder (see :mod:`stripper.modelfile`). Keyword
    options are those of :class:`stripper.settings.Settings`; options given
    to a call override them for that call.
    """

    def __init__(self, model=None, **options):
        self.model_path = model
        self.settings = DEFAULTS.with_options(**options)
        self._model = None

    @property
    def model(self):
        """The loaded :class:`stripper.scoring.Model` (loaded, and checked, on first use)."""
        if self._model is None:
            self._model = load_model(self.model_path)
        return self._model

    @property
    def version(self):
        """The model's version, from its card."""
        return self.model.version

    def clean_documents(self, texts, *, sites=None, evidence=None, **options):
        """Clean ``texts``: a :class:`stripper.core.Cleaned` for each (text and blocks).

        ``sites`` names each text's site (None: no site). Pages of a site are
        then cleaned with what its other pages show (site evidence): the
        evidence is gathered from ``texts`` themselves, or taken from
        ``evidence`` (a :class:`stripper.sites.Evidence`, e.g. a loaded
        profile). With the ``sites=False`` option, each page is cleaned alone.
        """
        settings = self.settings.with_options(**options)
        texts = _checked(texts)
        return clean_documents(texts, self.model, settings,
                               _site_evidence(texts, sites, evidence, settings))

    def clean(self, text, **options):
        """``text`` with page debris removed: its kept blocks' own text, in order."""
        return self.clean_documents([text], **options)[0].text

    def clean_many(self, texts, **options):
        """:meth:`clean` for many texts, scored in one batch (much faster than a loop)."""
        return [done.text for done in self.clean_documents(texts, **options)]

    def classify(self, text, **options):
        """Every block of ``text`` with its label, kind, score, rule and span."""
        return self.clean_documents([text], **options)[0].blocks

    def classify_many(self, texts, **options):
        """:meth:`classify` for many texts, scored in one batch."""
        return [done.blocks for done in self.clean_documents(texts, **options)]


def _site_evidence(texts, sites, evidence, settings):
    """Each text's :class:`stripper.sites.SiteEvidence` (or None), or None for no sites."""
    if sites is None or not settings.site_evidence:
        return None
    sites = list(sites)
    if len(sites) != len(texts):
        raise OptionError(f"sites names {len(sites)} sites for {len(texts)} texts")
    if evidence is None:
        from .sites import gather_texts
        evidence = gather_texts(zip(sites, texts))
    return [evidence.site(key) if key is not None else None for key in sites]


def _checked(texts):
    if isinstance(texts, (str, bytes)):
        raise InputError("expected a list of texts, got a single "
                         f"{type(texts).__name__}; use clean() for one text")
    texts = list(texts)
    for text in texts:
        if not isinstance(text, str):
            raise InputError(f"expected text (str), got {type(text).__name__}"
                             + ("; decode bytes first, e.g. data.decode('utf-8')"
                                if isinstance(text, (bytes, bytearray)) else ""))
    return texts


_DEFAULT = None


def _default():
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Stripper()
    return _DEFAULT


def clean(text, **options):
    """``text`` with page debris removed, using the bundled default model."""
    return _default().clean(text, **options)


def classify(text, **options):
    """Every block of ``text`` with label, kind, score and span (default model)."""
    return _default().classify(text, **options)
