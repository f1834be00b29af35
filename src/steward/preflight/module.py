"""Preflight: the launch checklist as checks with evidence, for a founder and for CI."""

from __future__ import annotations

from steward.module import Command, Module
from steward.preflight.cli import app

MODULE = Module(name="preflight", commands=(Command("preflight", app),))
