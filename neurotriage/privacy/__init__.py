"""Privacy safeguards for patient data (pure Python, no Rasa imports)."""
