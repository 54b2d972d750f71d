"""Vector tiles (OGC API - Tiles, Mapbox Vector Tiles) of the catalog's layers; no web code."""
