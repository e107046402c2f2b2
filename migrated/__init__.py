"""The "after": the same recommender as Keras 3 layers, losses, metrics and a model."""
