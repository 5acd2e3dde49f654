"""Fault injection: the Toxiproxy client and the translation of link faults into toxics."""
