"""Evaluation: how good is a compression? (Chapters 2 to 4).

:mod:`~ct_helpers.evaluation.splits` holds samples out (random, spatially
blocked, with a buffer); :mod:`~ct_helpers.evaluation.metrics` scores
reconstruction fidelity and the anatomical coherence of codes;
:mod:`~ct_helpers.evaluation.reconstruction` reconstructs held-out samples with
every method; :mod:`~ct_helpers.evaluation.baselines` gives the references
(coordinates k-NN, training mean); :mod:`~ct_helpers.evaluation.sweep` runs every
(method, k, split, seed) once, cached; :mod:`~ct_helpers.evaluation.published`
keeps the paper's numbers for comparison. It reads data and compressors, never
prediction or plots.
"""
