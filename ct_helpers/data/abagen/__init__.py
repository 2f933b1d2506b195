"""Real voxel-wise AHBA expression built by abagen, as the paper did (Chapter 1, ``make ahba``).

abagen 0.1.3 needs ``numpy<2`` and ``pandas<2``, so it runs in its own virtual
environment: :mod:`~ct_helpers.data.abagen.build` prepares the request, runs
:mod:`~ct_helpers.data.abagen.worker` (stdlib and NumPy only at import) with
that environment's Python, checks and caches the result with its provenance;
``requirements.txt`` beside them holds the pins; ``ct-build-ahba`` is the
command line.
"""
