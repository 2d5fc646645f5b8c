"""Agent-based world simulation: demo worlds now, a closed loop through the engine later."""

from mindshare.sim._demo import DemoWorld, generate_demo_world

__all__ = ["DemoWorld", "generate_demo_world"]
