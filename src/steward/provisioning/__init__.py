"""Provisioning: durable multi-step set-up of what a tenant bought.

Declare steps on a plan (``Plan(provisioning=(step, ...))``); a run is a DBOS workflow whose id is
the business key ``prov:<tenant>:<plan>:<generation>``; its state and per-step timeline live in
``provisioning_runs`` / ``provisioning_steps``."""

from steward.steps import (
    PermanentStepError,
    Retry,
    Step,
    StepContext,
    Wait,
)

__all__ = ["PermanentStepError", "Retry", "Step", "StepContext", "Wait"]
