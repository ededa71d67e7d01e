"""The channels' tables (one module per channel family, imported here)."""
