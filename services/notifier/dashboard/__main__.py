"""``python -m services.notifier.dashboard``: serve the live decision dashboard."""

from __future__ import annotations

from services.notifier.dashboard.server import main

if __name__ == "__main__":
    main()
