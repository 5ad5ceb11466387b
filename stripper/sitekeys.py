"""Which site a page belongs to, in each kind of batch.

- A directory tree: the first directory level under each input directory,
  as wget and httrack mirrors lay out hosts (``crawl/example.org/2024/a.txt``
  belongs to ``example.org``); the files directly in an input directory are
  one group of their own.
- A JSONL record or a table row: the value of the field named by
  ``--site-field`` (``site_column=`` in Python), or else the host of its
  ``url`` field, without ``www.``; a record with neither has no site and is
  cleaned alone.
"""

from pathlib import PurePath
from urllib.parse import urlsplit

#: The record field whose host names a record's site when no site field is named.
URL_FIELD = "url"
#: The group of the files directly inside an input directory.
TOP_LEVEL = "(top level of {root})"


def site_of_path(root, relative):
    """The site of the file at ``relative`` (a path inside the input ``root``)."""
    parts = PurePath(relative).parts
    return parts[0] if len(parts) > 1 else TOP_LEVEL.format(root=root)


def site_of_record(record, site_field=None):
    """The site of a JSONL record (a dict), or None when it names none."""
    if site_field is not None:
        value = record.get(site_field)
        return str(value) if value not in (None, "") else None
    return host_of(record.get(URL_FIELD))


def host_of(url):
    """The host of ``url``, lower-cased and without ``www.``; None if it has none."""
    if not isinstance(url, str) or not url:
        return None
    try:
        host = urlsplit(url if "//" in url else "//" + url).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host
