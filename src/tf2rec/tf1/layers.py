"""`tf.layers` of TF 1.15: a converted script reads `tf_layers.dense(...)` for
`tf.layers.dense(...)` (`from tf2rec.tf1 import layers as tf_layers`)."""

from tf2rec.tf1.convolutional import (
    AveragePooling1D,
    AveragePooling2D,
    Conv1D,
    Conv2D,
    MaxPooling1D,
    MaxPooling2D,
    average_pooling1d,
    average_pooling2d,
    conv1d,
    conv2d,
    max_pooling1d,
    max_pooling2d,
)
from tf2rec.tf1.core_layers import Dense, Dropout, Flatten, dense, dropout, flatten
from tf2rec.tf1.layer import Layer
from tf2rec.tf1.normalization import BatchNormalization, batch_normalization
from tf2rec.tf1.not_covered import module_getattr

__all__ = [
    "AveragePooling1D",
    "AveragePooling2D",
    "BatchNormalization",
    "Conv1D",
    "Conv2D",
    "Dense",
    "Dropout",
    "Flatten",
    "Layer",
    "MaxPooling1D",
    "MaxPooling2D",
    "average_pooling1d",
    "average_pooling2d",
    "batch_normalization",
    "conv1d",
    "conv2d",
    "dense",
    "dropout",
    "flatten",
    "max_pooling1d",
    "max_pooling2d",
]

__getattr__ = module_getattr(
    "tf.layers", "write it with tf.compat.v1 ops (get_variable and tf.nn) or as a Keras 3 layer"
)
