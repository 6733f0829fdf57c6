"""The metrics workflows may compute, by name or abbreviation."""
from rerun_git import CLASSIFICATION_METRICS, MetricManager

METRIC_CONFIG = MetricManager(*CLASSIFICATION_METRICS)
