"""Commissions: plans, the rep's earnings on booking, turn-up and recurring revenue, clawbacks,
splits, monthly statements and their journal entries."""
