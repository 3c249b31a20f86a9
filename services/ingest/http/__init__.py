"""The ingest HTTP API: submissions, status, document uploads."""
