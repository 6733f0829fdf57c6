import brisk

METRIC_CONFIG = brisk.MetricManager(*brisk.REGRESSION_METRICS, *brisk.CLASSIFICATION_METRICS)
