"""What a client asks of a collection (OGC API - Features Parts 1-3), apart from the web layer.

``crs``: the coordinate systems offered and the transforms to and from them (Part 2).
``cql``: CQL2 filters, queryables, ``properties`` and ``sortby`` (Part 3).
``params``: which query parameters each request understands (Part 1's unknown-parameter rule).
"""
