"""What the service tells its operators: JSON log lines carrying a request id (json_logs) and Prometheus
metrics (prometheus_metrics) for the API, the nearline worker and the batch job (docs/operations.md)."""
