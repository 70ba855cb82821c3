"""The deterministic market data, for a seed: no HTTP here and nothing about endpoints."""
