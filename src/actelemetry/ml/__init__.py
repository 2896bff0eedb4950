"""Machine learning on telemetry: state-to-action datasets split by lap, models from least
squares to recurrent networks, honest held-out-lap evaluation, reports, live prediction.

Entry points: :func:`actelemetry.ml.dataset.prepare_dataset`,
:func:`actelemetry.ml.train.train_models`, :func:`actelemetry.ml.models.load_model`,
:class:`actelemetry.ml.predict.LivePredictor` (wired to a capture by
:func:`actelemetry.app.live_predict.run_live_prediction`).
"""
