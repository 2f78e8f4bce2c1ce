"""A local Azure Functions host for function_app.py: HTTP triggers, timers, and Durable Functions."""
