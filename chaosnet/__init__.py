"""chaosnet: chaos testing for peer-to-peer blockchains.

Scenarios (YAML) become real node processes or containers with Toxiproxy between every pair of
peers; the runner drives a fault timeline, observes the network and checks assertions.
"""

__version__ = "0.1.0"
