"""Framework-free domain logic: no reflex, aiogram or fastapi imports here."""
