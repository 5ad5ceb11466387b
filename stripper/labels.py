"""The label vocabulary shared by fixtures, real-page corpora and the model.

It follows the project's labelling policy: every segment is ``content``,
``boilerplate`` (with a kind saying what sort of debris it is) or
``ambiguous`` (kept by default, never scored).
"""

CONTENT = "content"
BOILERPLATE = "boilerplate"
AMBIGUOUS = "ambiguous"
LABELS = (CONTENT, BOILERPLATE, AMBIGUOUS)

#: Kinds of debris a fixture may name, and that ``--keep KIND`` accepts.
BOILERPLATE_KINDS = (
    "donation", "membership", "subscription", "paywall", "newsletter", "app",
    "social", "podcast", "share", "cookie", "ad", "related", "comments", "nav",
    "ui",
)

#: Kinds of ambiguous segments (bylines, captions, tag lists, disclaimers).
AMBIGUOUS_KINDS = ("byline", "caption", "tags", "legal", "bio", "credit", "other")

#: Kinds of content segments.
CONTENT_KINDS = ("body", "title")

#: Kind names used by other corpora, mapped onto ours.
KIND_ALIASES = {"podcast-links": "podcast"}


def normalise_kind(label, kind):
    """Map a corpus's kind name onto our vocabulary for that label."""
    kind = KIND_ALIASES.get(kind, kind or "")
    if label == BOILERPLATE:
        return kind if kind in BOILERPLATE_KINDS else "other"
    if label == AMBIGUOUS:
        return kind if kind in AMBIGUOUS_KINDS else "other"
    return kind if kind in CONTENT_KINDS else "body"
