"""Offline stage: the YAML files, their schemas, the configuration and the validated specs."""
