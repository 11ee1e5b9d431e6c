"""Liveness: a cheap endpoint for load balancers and orchestrators."""

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """The service's health."""

    status: Literal["ok"] = "ok"


@router.get("/health")
async def health() -> Health:
    """Report that the service is up."""
    return Health()
