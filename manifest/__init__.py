"""The Teams app package: manifest and icons, built by ``python -m manifest.build``."""
