"""A local stand-in for Telegram: the Bot API wire format, a web chat, and a test harness."""

from sandbox.faults import Faults
from sandbox.limits import FloodControl, FloodLimits
from sandbox.server import SandboxServer, create_app, start_sandbox
from sandbox.testing import BotMessage, Button, CallbackAnswer, Group, Resident
from sandbox.world import World

__all__ = [
    "BotMessage",
    "Button",
    "CallbackAnswer",
    "Faults",
    "FloodControl",
    "FloodLimits",
    "Group",
    "Resident",
    "SandboxServer",
    "World",
    "create_app",
    "start_sandbox",
]
