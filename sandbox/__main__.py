"""python -m sandbox: run the sandbox alone for manual play."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from sandbox.limits import FloodLimits
from sandbox.server import start_sandbox

# Not a secret: the sandbox accepts whatever token it is started with.
DEFAULT_TOKEN = "123456789:SANDBOX-token-for-local-play-only"  # noqa: S105


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="the bot token it accepts")
    parser.add_argument("--username", default="tinbao_bot")
    parser.add_argument("--limits", action="store_true", help="enforce Telegram flood limits")
    return parser.parse_args()


async def _serve(args: argparse.Namespace) -> None:
    limits = FloodLimits() if args.limits else None
    server = await start_sandbox(
        args.host, args.port, bot_token=args.token, bot_username=args.username, limits=limits
    )
    print(f"tinbao sandbox: web chat   {server.chat_url}", flush=True)
    print(
        f"tinbao sandbox: Bot API    {server.api_base_url}  (TINBAO_TELEGRAM_API_URL)", flush=True
    )
    print(f"tinbao sandbox: bot token  {server.token}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.close()


def main() -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(_arguments()))


if __name__ == "__main__":
    main()
