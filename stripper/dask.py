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
from .workers import clean_task, failed_results, model_loads, option_key, worker_stripper

log = logging.getLogger(__name__)


def clean_column(frame, column="text", **options):
    """``frame`` (a Dask DataFrame) with the text of ``column`` cleaned.

    Missing values stay missing. ``options`` go to
    :class:`stripper.Stripper` (``model``, ``threshold``, ``keep``...).
    """
    if column not in frame.columns:
        raise InputError(f"no column {column!r}; columns are {', '.join(map(str, frame.columns))}")
    return frame.map_partitions(_clean_partition, column, option_key(options),
                                meta=frame._meta)


def _clean_partition(part, column, options):
    """One pandas partition with ``column`` cleaned, on whichever worker runs it."""
    values = part[column]
    present = values.notna()
    texts = values[present].tolist()
    if any(not isinstance(text, str) for text in texts):
        raise InputError(f"column {column!r} holds values that are not text")
    cleaned = part.copy()
    cleaned.loc[present, column] = clean_strings(texts, options)
    return cleaned


def clean_bag(bag, **options):
    """A Dask Bag of the clean versions of a Bag of texts, in the same order."""
    return bag.map_partitions(_clean_bag_partition, option_key(options))


def _clean_bag_partition(texts, options):
    return clean_strings(list(texts), options)


def clean_strings(texts, options):
    """Clean a list of texts with this worker's Stripper, in :data:`CHUNK`-sized batches."""
    stripper = worker_stripper(options)
    cleaned = []
    for start in range(0, len(texts), CHUNK):
        cleaned.extend(stripper.clean_many(texts[start:start + CHUNK]))
    return cleaned


def clean_parquet(source, target, column="text", **options):
    """Read a Parquet dataset, clean ``column``, write the result as Parquet to ``target``."""
    import dask.dataframe as dd
    clean_column(dd.read_parquet(source), column, **options).to_parquet(target,
                                                                        write_index=False)


def clean_json(source, target, column="text", **options):
    """Read JSONL files (a path or glob), clean ``column``, write JSONL files to ``target``."""
    import dask.dataframe as dd
    frame = dd.read_json(source, lines=True, orient="records")
    clean_column(frame, column, **options).to_json(target, lines=True, orient="records",
                                                   force_ascii=False)


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
