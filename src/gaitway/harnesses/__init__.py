"""Harnesses: whole-session runners above the clinic and planning layers.

The fault matrix, the twin's validation (gait analytics; the virtual patients' response to the
robot against published studies) and the demo history each run complete simulated sessions
through the session runner and then measure, score or store what came out. They sit above
every part they drive and below the surfaces (web, cli) that start them; nothing below imports
them.
"""
