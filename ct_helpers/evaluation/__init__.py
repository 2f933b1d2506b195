"""Evaluation: how good is a compression? (Chapters 2 to 4).

:mod:`~ct_helpers.evaluation.splits` holds samples out (random, spatially
blocked, with a buffer); :mod:`~ct_helpers.evaluation.metrics` scores
reconstruction fidelity and the anatomical coherence of codes;
:mod:`~ct_helpers.evaluation.reconstruction` scores the reconstruction of
held-out samples one way for every method and reference (one row schema);
:mod:`~ct_helpers.evaluation.coherence` scores the anatomical coherence of codes;
:mod:`~ct_helpers.evaluation.baselines` gives the coordinates k-NN reference;
:mod:`~ct_helpers.evaluation.sweep` runs every (method, k, split, seed) once,
cached, and :mod:`~ct_helpers.evaluation.sweep_results` reads it back;
:mod:`~ct_helpers.evaluation.generalisability` asks whether latent dimensions
come out of different brains (Dear et al.'s g over disjoint donor triplets);
:mod:`~ct_helpers.evaluation.published` keeps the paper's numbers for comparison.
It reads data and compressors, never prediction or plots.
"""
