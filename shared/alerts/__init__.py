"""Outbound alerts: webhook subscriptions (their secrets in Key Vault), the events they receive, signed
deliveries with retries and a delivery log (docs/alerts.md)."""
