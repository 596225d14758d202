"""Integrations with other tools' run loops (Hydra: :mod:`hyperlab.integrations.hydra`)."""
