"""Readers and writers for the file contracts in the README."""
