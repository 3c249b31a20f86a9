"""``python -m services.offers.quotes``: serve the quote API (see ``server.py``)."""

from services.offers.quotes.server import main

if __name__ == "__main__":
    main()
