"""The per-organization ledger: an RFC 6962 Merkle log with stored subtree hashes."""
