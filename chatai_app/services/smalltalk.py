"""Small talk: greetings, thanks, 'who are you', goodbyes get a short polite reply in the user's language.

Only a message made of such phrases alone counts ('Hi, how much is delivery?' is a question, not small talk).
The reply needs no knowledge and no model: no sources, no charge, and it is not a miss.
"""

from __future__ import annotations

import re

PHRASES: dict[str, tuple[str, ...]] = {
    "identity": (
        "who are you", "what are you", "are you a bot", "are you a robot", "are you human", "are you a human",
        "are you real", "what can you do", "what do you do", "what's your name", "what is your name",
        "whats your name", "who am i talking to", "who am i speaking to", "introduce yourself", "your name",
        "кто ты", "кто вы", "ты бот", "вы бот", "ты робот", "вы робот", "ты человек", "вы человек",
        "что ты умеешь", "что вы умеете", "что ты можешь", "что вы можете", "как тебя зовут", "как вас зовут",
        "с кем я разговариваю", "с кем я говорю", "представься", "представьтесь",
    ),
    "greeting": (
        "hi", "hello", "hey", "hiya", "howdy", "greetings", "good morning", "good afternoon", "good evening",
        "good day", "how are you", "how are you doing", "how is it going", "how's it going", "hows it going",
        "what's up", "whats up", "there", "yo",
        "привет", "приветик", "здравствуйте", "здравствуй", "здрасте", "добрый день", "доброе утро",
        "добрый вечер", "доброй ночи", "приветствую", "салют", "хай", "как дела", "как ты", "как вы",
        "как поживаешь", "как поживаете",
    ),
    "goodbye": (
        "bye", "bye bye", "goodbye", "good bye", "see you", "see you later", "see ya", "have a nice day",
        "have a good day", "good night", "take care", "farewell",
        "пока", "пока пока", "до свидания", "всего доброго", "всего хорошего", "хорошего дня", "хорошего вечера",
        "до встречи", "до связи", "спокойной ночи",
    ),
    "thanks": (
        "thanks", "thank you", "thank you very much", "thank you so much", "thanks a lot", "many thanks", "thx",
        "ty", "cheers", "much appreciated", "appreciate it", "that helps", "that helped", "that's helpful",
        "спасибо", "спасибо большое", "большое спасибо", "благодарю", "спс", "очень помогли", "помогли",
        "спасибо за ответ", "спасибо за помощь", "за ответ", "за помощь",
    ),
}  # fmt: skip
FILLER = frozenset(
    [
        "ok",
        "okay",
        "cool",
        "great",
        "awesome",
        "perfect",
        "nice",
        "fine",
        "good",
        "super",
        "alright",
        "well",
        "so",
        "very",
        "much",
        "again",
        "and",
        "there",
        "bot",
        "assistant",
        "friend",
        "dear",
        "please",
        "oh",
        "ah",
        "ахх",
        "ок",
        "окей",
        "ладно",
        "хорошо",
        "отлично",
        "супер",
        "понятно",
        "ясно",
        "класс",
        "очень",
        "и",
        "а",
        "ну",
        "тебе",
        "вам",
        "всё",
        "все",
        "ещё",
        "еще",
        "раз",
        "бот",
        "друг",
        "пожалуйста",
    ]
)
ORDER = ("identity", "greeting", "goodbye", "thanks")  # what a mixed message is answered as
MAX_WORDS = 8

REPLIES = {
    "greeting": {
        "en": "Hello! How can I help you?",
        "ru": "Здравствуйте! Чем могу помочь?",
    },
    "thanks": {
        "en": "You're welcome! Anything else I can help with?",
        "ru": "Пожалуйста! Могу ли я помочь чем-то ещё?",
    },
    "identity": {
        "en": "I am {name}, an AI assistant. I answer questions from this business's knowledge base, and I can "
        "connect you with a person if needed.",
        "ru": "Я {name}, ИИ-ассистент. Отвечаю на вопросы по базе знаний компании и при необходимости могу "
        "позвать оператора.",
    },
    "goodbye": {
        "en": "Goodbye! Have a nice day.",
        "ru": "До свидания! Хорошего дня.",
    },
}


def _pattern() -> re.Pattern[str]:
    phrases = sorted({p for group in PHRASES.values() for p in group}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(p) for p in phrases) + r")(?!\w)")


_PHRASE = _pattern()
_KIND = {phrase: kind for kind, group in PHRASES.items() for phrase in group}


def _normalise(text: str) -> str:
    text = text.lower().replace("ё", "е").replace("’", "'")
    return " ".join(re.sub(r"[^\w\s']", " ", text).split())


def classify(text: str) -> str | None:
    """'greeting' | 'thanks' | 'identity' | 'goodbye' when the message is nothing but small talk, else None."""
    normalised = _normalise(text)
    if not normalised or len(normalised.split()) > MAX_WORDS:
        return None
    kinds = {_KIND[m.group(1)] for m in _PHRASE.finditer(normalised)}
    rest = [w for w in _PHRASE.sub(" ", normalised).split() if w not in FILLER]
    if not kinds or rest:
        return None
    return next(kind for kind in ORDER if kind in kinds)


def reply(kind: str, language: str, *, name: str = "", greeting: str = "") -> str:
    if kind == "greeting" and greeting.strip():
        return greeting.strip()
    lang = "ru" if language == "ru" else "en"
    default_name = "ассистент" if lang == "ru" else "the assistant"
    text = REPLIES[kind][lang]
    return text.format(name=name.strip() or default_name)
