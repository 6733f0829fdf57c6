"""The metrics workflows may compute, by name or abbreviation."""
from rerun_git import REGRESSION_METRICS, MetricManager

METRIC_CONFIG = MetricManager(*REGRESSION_METRICS)
