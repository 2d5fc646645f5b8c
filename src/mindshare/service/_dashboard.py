"""The dashboard: server-rendered pages of a world, charts drawn by the bundled plotly.js."""

from fastapi import APIRouter

dashboard = APIRouter(include_in_schema=False)
