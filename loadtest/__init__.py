"""Load and reliability runs against the real servers: `make soak` (and `make faults`)."""
