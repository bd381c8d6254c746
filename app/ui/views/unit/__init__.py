"""The unit page (shown beside the Sites & Units finder): identity, health, every record."""
