"""Cleaning on a Dask cluster: DataFrame columns, Bags, and directory batches.

Install with ``pip install 'stripper[dask]'``. Every function here runs the
same cleaning code as a local run, so results are equal byte for byte.
Each worker process creates and loads its :class:`stripper.Stripper` once
(:func:`stripper.workers.worker_stripper`) and reuses it for every
partition. Workers read the model from the installed package (or the
``model`` path you give, which they must be able to see).

>>> import dask.dataframe as dd
>>> from stripper.dask import clean_column
>>> frame = dd.read_parquet("articles/")
>>> clean_column(frame, "text").to_parquet("clean/")
"""

import logging

from .errors import InputError, StripperError
from .settings import CHUNK, SCHEDULER_TIMEOUT
from .sitekeys import URL_FIELD, host_of
from .workers import clean_task, failed_results, model_loads, option_key, worker_stripper

log = logging.getLogger(__name__)


def clean_column(frame, column="text", site_column=None, profile=None, **options):
    """``frame`` (a Dask DataFrame) with the text of ``column`` cleaned.

    Missing values stay missing. ``options`` go to
    :class:`stripper.Stripper` (``model``, ``threshold``, ``keep``,
    ``site_evidence``...). Rows of one site are cleaned with each other's evidence:
    the site is ``site_column``'s value, or else the host of a ``url``
    column; rows without one are cleaned alone. The evidence is gathered
    in a first pass over the frame (fingerprints only come back to the
    client) unless a ``profile`` (a site profile's path, or
    :class:`stripper.sites.Evidence`) is given; ``site_evidence=False`` cleans every
    row alone. Partitioning never changes the result.
    """
    for name in (column, site_column):
        if name is not None and name not in frame.columns:
            raise InputError(f"no column {name!r}; columns are "
                             f"{', '.join(map(str, frame.columns))}")
    key = _site_key(frame, site_column) if options.get("site_evidence", True) else None
    evidence = None
    if key is not None:
        evidence = _profile_bytes(profile) if profile is not None else \
            _gather_frame(frame, column, key)
    return frame.map_partitions(_clean_partition, column, key, evidence, option_key(options),
                                meta=frame._meta)


def _site_key(frame, site_column):
    """``(column, is_url)`` naming each row's site, or None when rows name none."""
    if site_column is not None:
        return site_column, False
    return (URL_FIELD, True) if URL_FIELD in frame.columns else None


def _row_sites(part, key):
    values = part[key[0]].tolist()
    if key[1]:
        return [host_of(value) for value in values]
    return [None if value is None or value != value or value == "" else str(value)
            for value in values]


def _gather_frame(frame, column, key):
    """The site evidence of every row of ``frame`` (as profile bytes), gathered on the workers."""
    import dask
    from .siteprints import PagePrints
    from .sites import Gatherer
    parts = dask.compute(*[dask.delayed(_partition_prints)(part, column, key)
                           for part in frame.to_delayed()])
    with Gatherer() as gatherer:
        for prints in parts:
            for site, data in prints:
                gatherer.add(site, PagePrints.from_bytes(data))
        return gatherer.finish().to_bytes()


def _partition_prints(part, column, key):
    """``(site, PagePrints bytes)`` of the rows of one partition that name a site."""
    from .siteprints import page_prints
    return [(site, page_prints(text).to_bytes())
            for site, text in zip(_row_sites(part, key), part[column].tolist())
            if site is not None and isinstance(text, str)]


def _profile_bytes(profile):
    from .sites import Evidence, load_profile
    return (profile if isinstance(profile, Evidence) else load_profile(profile)).to_bytes()


def _clean_partition(part, column, key, evidence, options):
    """One pandas partition with ``column`` cleaned, on whichever worker runs it."""
    values = part[column]
    present = values.notna()
    texts = values[present].tolist()
    if any(not isinstance(text, str) for text in texts):
        raise InputError(f"column {column!r} holds values that are not text")
    sites = [site for site, here in zip(_row_sites(part, key), present) if here] \
        if key is not None else None
    cleaned = part.copy()
    cleaned.loc[present, column] = clean_strings(texts, options, sites,
                                                 _evidence_of(evidence))
    return cleaned


_EVIDENCE = {}


def _evidence_of(data):
    """The :class:`stripper.sites.Evidence` of profile bytes, parsed once per worker."""
    if data is None:
        return None
    key = hash(data)
    if key not in _EVIDENCE:
        from .sites import Evidence
        _EVIDENCE.clear()
        _EVIDENCE[key] = Evidence.from_bytes(data)
    return _EVIDENCE[key]


def clean_bag(bag, **options):
    """A Dask Bag of the clean versions of a Bag of texts, in the same order."""
    return bag.map_partitions(_clean_bag_partition, option_key(options))


def _clean_bag_partition(texts, options):
    return clean_strings(list(texts), options)


def clean_strings(texts, options, sites=None, evidence=None):
    """Clean a list of texts with this worker's Stripper, in :data:`CHUNK`-sized batches.

    With ``sites`` (one per text) and ``evidence``, each with its site's evidence.
    """
    stripper = worker_stripper(options)
    cleaned = []
    for start in range(0, len(texts), CHUNK):
        chunk_sites = None if sites is None or evidence is None else sites[start:start + CHUNK]
        cleaned.extend(done.text for done in stripper.clean_documents(
            texts[start:start + CHUNK], sites=chunk_sites, evidence=evidence))
    return cleaned


def clean_parquet(source, target, column="text", site_column=None, **options):
    """Read a Parquet dataset, clean ``column``, write the result as Parquet to ``target``."""
    import dask.dataframe as dd
    clean_column(dd.read_parquet(source), column, site_column, **options).to_parquet(
        target, write_index=False)


def clean_json(source, target, column="text", site_column=None, **options):
    """Read JSONL files (a path or glob), clean ``column``, write JSONL files to ``target``."""
    import dask.dataframe as dd
    frame = dd.read_json(source, lines=True, orient="records")
    clean_column(frame, column, site_column, **options).to_json(
        target, lines=True, orient="records", force_ascii=False)


class SchedulerError(StripperError):
    """The ``--scheduler`` address cannot be reached, or is not a Dask scheduler."""


def run_on_cluster(tasks, scheduler, timeout=SCHEDULER_TIMEOUT):
    """Run directory-batch tasks on the cluster at ``scheduler``; yield results as they finish.

    Workers read inputs and write outputs themselves, so they must see the
    same paths as this machine (a shared filesystem).
    """
    from distributed import as_completed
    log.info("sending %d tasks to %s", len(tasks), scheduler)
    with connect(scheduler, timeout) as client:
        futures = client.map(clean_task, tasks, pure=False)
        task_of = dict(zip((future.key for future in futures), tasks))
        for future in as_completed(futures):
            try:
                results = future.result()
            except StripperError:
                raise  # a model error: no fault of the files
            except Exception as error:  # the cluster gave up on it (e.g. KilledWorker)
                results = failed_results(task_of[future.key], f"the Dask task failed "
                                                              f"({type(error).__name__}: {error})")
            yield results


def connect(scheduler, timeout=SCHEDULER_TIMEOUT):
    """A ``distributed.Client`` of ``scheduler``; :class:`SchedulerError` within ``timeout`` s."""
    try:
        from distributed import Client
    except ImportError:
        raise SchedulerError("--scheduler needs dask.distributed: "
                             "pip install 'stripper[dask]'") from None
    try:
        return Client(scheduler, timeout=timeout)
    except (OSError, TimeoutError, ValueError, TypeError) as error:
        raise SchedulerError(f"cannot reach the Dask scheduler at {scheduler} within "
                             f"{timeout:g} s ({type(error).__name__}: {error})") from None


def model_loads_per_worker(client):
    """``{worker address: model loads}`` on every worker of ``client``'s cluster."""
    return client.run(model_loads)
