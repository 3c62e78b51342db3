"""Clinical core: pure Python decisions (no Rasa, no database), each testable on plain records."""
