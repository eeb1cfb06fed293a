"""The watcher: EMR ingestion, stored extraction plugins, claims and leases, the pipeline, provenance merges."""
