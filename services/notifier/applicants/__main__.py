"""``python -m services.notifier.applicants``: e-mail every decision to its applicant."""

from __future__ import annotations

from services.notifier.applicants.app import main

if __name__ == "__main__":
    main()
