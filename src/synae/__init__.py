"""synae: evaluate synthetic tool-calling agent trajectories against real ones.

Three pillars: validity (do the calls and outputs accomplish the instruction?), fidelity (how close
are synthetic and real?) and diversity (how much of the space does the synthetic set cover?).
"""

__version__ = "0.1.0"
