"""The cluster side of Previz's render farm, on Ray (``pip install 'previz-studio[farm]'``).

One detached actor, ``previz-farm`` in the ``previz`` namespace, is the farm: it keeps every
submitted job (keyed ``<project uid>/<job id>``, so several projects share a cluster and each
sees only its own jobs), a queue ordered by priority, and a pool of warm engine actors per
engine and model (the model loads once per actor; ``num_gpus`` from the model's memory plan, 0
for the animatic). A job's request and its conditioning files travel as bytes; the engine actor
writes them in a temporary folder on its node, runs the same `engine.job.run_job` as the local
worker, and returns the clip, its lossless head/tail and thumbnail as bytes with the result.

Clients poll (``poll``) rather than stream, so a Ray Client address (``ray://host:10001``, which
has no streaming generators) works as well as a cluster address. A job belongs to the cluster:
it keeps running when its client goes away; the next client collects it (``result``) and then
forgets it. An engine actor that dies mid-job (its node died) sends the job to another actor,
up to ``max_retries`` times, then the job fails with a message.

This package imports `engine` only (never ``previz``); ``ray`` is imported by `engine.farm.cluster`.
"""

from __future__ import annotations

NAMESPACE = "previz"
FARM_ACTOR = "previz-farm"
MAX_RETRIES = 2

__all__ = ["FARM_ACTOR", "MAX_RETRIES", "NAMESPACE"]
