"""What the console's routes share, typed: the scheduler's gRPC stubs, the live feed, the templates.

``create_app`` puts one :class:`GatewayState` on ``app.state.gateway`` at start-up (its channel is
opened in the lifespan); routes receive its parts through ``Depends`` (:data:`SchedulerApi`,
:data:`Templates`, :data:`Feed`, :data:`Health`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

import grpc
from fastapi import Depends, FastAPI, Request
from fastapi.templating import Jinja2Templates

from catalogsync.grpc_types import AsyncHealth, SchedulerStub
from gateway.live import JobFeed


@dataclass
class Connection:
    """The scheduler as the gateway reaches it: one channel, its stubs and the shared job feed."""

    channel: grpc.aio.Channel
    scheduler: SchedulerStub
    health: AsyncHealth
    feed: JobFeed


@dataclass
class GatewayState:
    templates: Jinja2Templates
    connection: Connection | None = field(default=None)

    def connected(self) -> Connection:
        if self.connection is None:
            raise RuntimeError("the gateway's scheduler channel is not open (lifespan not started)")
        return self.connection


def state_of(app: FastAPI) -> GatewayState:
    state = app.state.gateway
    assert isinstance(state, GatewayState)
    return state


def _state(request: Request) -> GatewayState:
    return state_of(request.app)


def _scheduler(request: Request) -> SchedulerStub:
    return _state(request).connected().scheduler


def _health(request: Request) -> AsyncHealth:
    return _state(request).connected().health


def _feed(request: Request) -> JobFeed:
    return _state(request).connected().feed


def _templates(request: Request) -> Jinja2Templates:
    return _state(request).templates


SchedulerApi = Annotated[SchedulerStub, Depends(_scheduler)]
Health = Annotated[AsyncHealth, Depends(_health)]
Feed = Annotated[JobFeed, Depends(_feed)]
Templates = Annotated[Jinja2Templates, Depends(_templates)]
