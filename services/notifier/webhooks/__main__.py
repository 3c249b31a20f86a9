"""``python -m services.notifier.webhooks [deliveries|retries]``: run a webhook stage."""

from services.notifier.webhooks.app import main

if __name__ == "__main__":
    main()
