"""The visit form and its parts: plan, sections, checklist, parts and photos, steps, drafts."""
