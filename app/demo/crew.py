"""What the demo's actions share, and how its technicians fill in their forms."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from app.demo.sim import SimClock, signature_png
from app.domain.checklists import TemplateCatalog
from app.domain.commands import ItemAnswer, Signature
from app.domain.entities import ChecklistItem
from app.domain.enums import ItemKind, ItemOutcome
from app.services.context import ServiceContext
from app.services.ports import BlobStore


@dataclass(slots=True)
class Crew:
    """What the demo's actions share: supervisor, blobs, templates, clock, definition, dice."""

    supervisor: ServiceContext
    blobs: BlobStore
    templates: TemplateCatalog
    clock: SimClock
    definition: dict[str, Any]
    rng: random.Random
    images: dict[str, bytes] = field(default_factory=dict)

    def image(self, name: str) -> bytes:
        """A deterministic signature or photo image, drawn once per name."""
        if name not in self.images:
            self.images[name] = signature_png(sum(name.encode()) * 7919 + len(name))
        return self.images[name]

    def answers(self, items: tuple[ChecklistItem, ...]) -> tuple[ItemAnswer, ...]:
        """A technician's answers to a checklist: mostly passes, now and then a fault."""
        rng, answers = self.rng, []
        for item in items:
            roll = rng.random()
            if item.kind is ItemKind.READING:
                low = float(item.min_value if item.min_value is not None else 0)
                high = float(item.max_value if item.max_value is not None else low * 2 + 10)
                span = high - low
                value = high + span * 0.2 if roll < 0.015 else low + span * rng.uniform(0.2, 0.8)
                answers.append(ItemAnswer(key=item.key, reading=f"{value:.1f}"))
            elif item.kind is ItemKind.PASS_FAIL:
                outcome = ItemOutcome.FAIL if roll < 0.012 else ItemOutcome.PASS
                answers.append(ItemAnswer(key=item.key, outcome=outcome))
            elif item.kind is ItemKind.PHOTO:
                photo = self.image(f"photo/{item.key}")
                answers.append(ItemAnswer(key=item.key, outcome=ItemOutcome.PASS, photos=(photo,)))
            elif item.mandatory:
                answers.append(ItemAnswer(key=item.key, text="Checked; nothing to report."))
        return tuple(answers)

    def signatures(self, tech: ServiceContext) -> dict[str, Signature]:
        """The technician's signature and the customer's sign-off (sometimes refused)."""
        name = tech.actor.name
        customer = (
            Signature(name="Site contact", refused=True)
            if self.rng.random() < 0.12
            else Signature(name="Site contact", image=self.image("customer"))
        )
        return {
            "technician_signature": Signature(name=name, image=self.image(name)),
            "customer_signoff": customer,
        }
