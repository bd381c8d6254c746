"""Where the shipped checklist templates live, and the catalog built from them."""

from __future__ import annotations

from pathlib import Path

import app
from app.domain.checklists import TemplateCatalog, load_templates


def default_templates_dir() -> Path:
    """The ``resources/checklists`` folder shipped with SiteSync."""
    return Path(app.__file__).resolve().parent.parent / "resources" / "checklists"


def load_catalog(directory: Path | None = None) -> TemplateCatalog:
    """A catalog of the templates in ``directory`` (the shipped ones by default)."""
    return TemplateCatalog(load_templates(directory or default_templates_dir()))
