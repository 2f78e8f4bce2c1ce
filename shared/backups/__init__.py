"""Backup sets, their manifests, the work files of a running backup, and the policy inventory."""
