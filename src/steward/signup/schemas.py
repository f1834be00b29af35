"""Request bodies of the public signup: strict (unknown fields refused), every length bounded."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

HEX = r"^#[0-9a-fA-F]{6}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class StartIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    slug: str | None = Field(default=None, min_length=1, max_length=40)


class BrandIn(Strict):
    primary_color: str = Field(pattern=HEX)
    secondary_color: str = Field(pattern=HEX)
    logo_url: str | None = Field(default=None, max_length=500)


InputValue = Annotated[str, StringConstraints(max_length=2000)] | StrictBool


class PlanIn(Strict):
    plan: str = Field(min_length=1, max_length=64)
    inputs: dict[Annotated[str, StringConstraints(max_length=64)], InputValue] = Field(
        default_factory=dict, max_length=10
    )
