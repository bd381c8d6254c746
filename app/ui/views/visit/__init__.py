"""The visit form (``form``) and its parts: ``header``, ``checklist``, ``extras`` (parts, notes,
photos), ``signoff`` (and completion), ``draft``; what it is for (``plan``) and the command its
values make (``command``); the bar that restores drafts (``draft_banner``)."""
