"""In-silico trials: virtual cohorts trained under competing plans, on a Dask cluster."""
