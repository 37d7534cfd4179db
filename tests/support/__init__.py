"""Test support: loopback servers that speak real protocols, helpers that inspect real stores."""
