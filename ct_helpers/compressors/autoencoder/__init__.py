"""The paper's deep auto-encoder (Chapter 3): the network, its training engine, the estimator.

:mod:`~ct_helpers.compressors.autoencoder.network` is the PyTorch module and its
loss, exactly as published; :mod:`~ct_helpers.compressors.autoencoder.training`
trains it (data on the device once, early stopping, checkpoints that resume
exactly); :mod:`~ct_helpers.compressors.autoencoder.estimator` wraps both in the
scikit-learn-style :class:`AutoEncoderCompressor` that the registry and the
sweep use like every other compressor.
"""

from .estimator import SAVE_FORMAT, AutoEncoderCompressor, checkpoint_path, load_autoencoder

__all__ = ["SAVE_FORMAT", "AutoEncoderCompressor", "checkpoint_path", "load_autoencoder"]
