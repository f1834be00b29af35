"""A game-server panel (GivrWrld's Pterodactyl-like panel): the sandbox peer and signing."""

from steward.providers.panel.sandbox import PanelSandbox, sign

__all__ = ["PanelSandbox", "sign"]
