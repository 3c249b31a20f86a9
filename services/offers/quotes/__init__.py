"""The offers service's real-time quote API: ``POST /v1/quotes`` re-prices a decided offer for
another amount or term within policy (``api.py``), from the context the offers stage saved
(``context.py``), by the checks in ``rules.py``. Run with ``python -m services.offers.quotes``.
"""
