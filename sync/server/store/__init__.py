"""The PostgreSQL implementation of the services' ports: unit of work, repositories, event log."""
