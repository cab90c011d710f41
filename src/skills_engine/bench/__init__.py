"""Benchmarks: commands that print figures (seconds, throughput, latency, peak memory).

One module per benchmark: ``sourcing`` (cold and warm data build), ``extraction`` (adverts per
second), ``recommend`` (fit time and recommendation latency), ``pipeline`` (every notebook and
the site) and ``api_load`` (a load generator against a running service), all reporting peak
memory through ``memory``. Speed is measured here, never asserted in tests.

May import from every subpackage below it (data up to publish and service); only ``cli``
imports from here.
"""
