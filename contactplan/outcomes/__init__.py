"""The outcome loop: indicators from imported outcomes (``report``), effectiveness learned from
them (``learn``, the model file) and the champion/challenger holdout that proves the lift."""
