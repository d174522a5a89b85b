"""Ingest: validate, dedupe, check, score and chain events into one store transaction."""
