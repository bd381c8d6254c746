"""The demo organization, generated through the real services, deterministic for a seed."""

from app.services.demo.generator import DemoSummary, demo_device_seed, generate_demo

__all__ = ["DemoSummary", "demo_device_seed", "generate_demo"]
