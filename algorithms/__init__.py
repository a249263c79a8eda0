"""Level-1 algorithms, one sub-package each: features, model, training, float and fixed inference."""
