"""Headend: lead-to-cash for broadband Internet providers."""
