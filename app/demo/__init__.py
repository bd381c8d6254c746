"""Demo data, made through the real services and deterministic for a seed.

``generator`` builds the demo organization the app opens with ``--demo``; ``seeding`` fills a
store with a plain fleet and status changes for benchmarks and tests.
"""

from app.demo.generator import DemoSummary, demo_device_seed, generate_demo

__all__ = ["DemoSummary", "demo_device_seed", "generate_demo"]
