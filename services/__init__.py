"""The five services; each owns one PostgreSQL schema and talks to the
others only through `contracts`."""
