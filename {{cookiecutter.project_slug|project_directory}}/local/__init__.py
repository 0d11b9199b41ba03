"""The embedded AWS: the synthesized stack deployed into moto in this process (development only, never deployed)."""
