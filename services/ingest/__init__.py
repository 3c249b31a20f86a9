"""Ingest: the front door for upstream bank systems (HTTP and Kafka).

``intake.accept`` is the one admission decision both paths use; ``stage`` runs the Kafka intake.
"""
