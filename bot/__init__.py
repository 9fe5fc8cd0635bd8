"""The Telegram bot process: configuration, the CLI, wiring and the delivery worker."""

import os

# Take PTB's coming `timedelta` periods now (RetryAfter.retry_after and the like): our code
# reads both forms, and the old form warns at every flood-limit answer.
os.environ.setdefault("PTB_TIMEDELTA", "1")
