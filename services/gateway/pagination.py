"""The list convention: ``limit``/``offset`` in, ``items``/``total``/``limit``/``offset`` out."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field

T = TypeVar("T")


class PageParams(BaseModel):
    limit: int = Field(description="Most items to return.")
    offset: int = Field(description="Items to skip.")


def page_params(
    limit: Annotated[int, Query(ge=1, le=200, description="Most items to return (1-200).")] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Items to skip.")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


Paging = Annotated[PageParams, Depends(page_params)]


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    items: list[T] = Field(description="The items of this page.")
    total: int = Field(description="How many items match in all.")
    limit: int = Field(description="The limit asked for.")
    offset: int = Field(description="The offset asked for.")
