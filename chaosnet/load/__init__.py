"""Transaction load generators."""
