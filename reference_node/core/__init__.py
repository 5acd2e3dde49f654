"""The sans-IO heart of the node: rules and state machines, no sockets, clocks, files or randomness.

Time (`now`, unix milliseconds) and randomness (a `random.Random` the caller owns) come in as
arguments; block bodies the chain needs again after they left memory come through the small
`BlockSource` port, which the SQLite store implements and tests replace with a dict.
"""
