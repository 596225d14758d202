"""Running things: commands, the queue and its workers, job templates and launchers."""
