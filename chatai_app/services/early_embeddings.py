"""A question's embedding, started while the engine stores the message (issue 16).

The intake (store the message, decide the turn, reserve the price: a dozen statements) and the question's embedding
(the model's thread, or an embeddings endpoint) take about as long each; started together, a turn waits for the
longer of the two instead of both. Which model embeds the question is the assistant's setting, known only once the
intake has read the assistant: the process remembers it from the assistant's previous turn, so an assistant's first
turn in a process embeds after the intake, as before. Not started for small talk, for an assistant without
knowledge, or for a conversation last seen with an operator (the AI stays silent there). A turn that does not search
cancels it: a model call not yet made is skipped.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict

from chatai_app.models import Assistant, DialogStatus
from chatai_app.services import smalltalk
from chatai_app.services.knowledge.retrieval import QueryVector, start_query_vector

REMEMBERED = 4096  # assistants and conversations, each
_NO_KNOWLEDGE = None

Conversation = tuple[uuid.UUID, str, str]  # assistant, channel, the channel's chat id


class EarlyEmbeddings:
    """Per process: each assistant's embedding model (None: knowledge off) and the conversations with a human."""

    def __init__(self, size: int = REMEMBERED) -> None:
        self._size = size
        self._models: OrderedDict[uuid.UUID, str | None] = OrderedDict()
        self._with_humans: OrderedDict[Conversation, None] = OrderedDict()

    def start(self, assistant_id: uuid.UUID, conversation: Conversation, text: str) -> QueryVector | None:
        if assistant_id not in self._models or conversation in self._with_humans:
            return None
        model = self._models[assistant_id]
        if model is _NO_KNOWLEDGE or smalltalk.classify(text):
            return None
        return start_query_vector(model, text)

    def learn(self, assistant: Assistant, conversation: Conversation, dialog_status: str) -> None:
        """What the intake read: the assistant's model for its next turns, whether a human has the conversation."""
        model = assistant.embedding_model if assistant.knowledge_enabled else _NO_KNOWLEDGE
        self._remember(self._models, assistant.id, model)
        if dialog_status in (DialogStatus.waiting, DialogStatus.operator):
            self._remember(self._with_humans, conversation, None)
        else:
            self._with_humans.pop(conversation, None)

    def _remember(self, items: OrderedDict, key: object, value: object) -> None:  # type: ignore[type-arg]
        items[key] = value
        items.move_to_end(key)
        while len(items) > self._size:
            items.popitem(last=False)
