"""One module per model type: ``train(job, reporter, outdir) -> TrainingResult`` and
``load_predictor(directory) -> Predictor``, named by the catalog's dotted paths."""
