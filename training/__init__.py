"""Training pipeline for the Find Color hint network.

Modules, in the order data flows through them:

- ``corpus``       builds the default photo corpus from Debian packages (with a licence manifest);
- ``photos``       loads any folder of colour photos (or a corpus manifest) and splits it by photo;
- ``degradations`` makes a clean lightness channel look like an old print (input only);
- ``hint_sim``     simulates a user's point, stroke and palette hints from the ground truth;
- ``dataset``      random crops -> (network inputs, targets) batches;
- ``train``        the training loop (``python -m training.train``);
- ``evaluate``     the benchmark table against the gray and classical baselines
                   (``python -m training.evaluate``);
- ``export``       checkpoint -> ``findcolor/weights/*.safetensors`` + config.
"""
