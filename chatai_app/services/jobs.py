"""Enqueue background jobs on the PostgreSQL queue (procrastinate) inside the caller's transaction.

Deferring through the same session as the rows the job works on means a job exists exactly
when its data does: both commit, or neither does.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

DEFER_JOB = sa.text(
    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, :priority, :lock, :queueing_lock, "
    "CAST(:args AS jsonb), NULL)::procrastinate_job_to_defer_v1])) AS id"
)

TASK_NAMESPACE = "chatai"
INGEST_DOCUMENT_TASK = f"{TASK_NAMESPACE}:ingest_document"
KNOWLEDGE_QUEUE = "knowledge"


async def enqueue(
    *,
    session: AsyncSession,
    task: str,
    args: dict[str, Any],
    queue: str = "default",
    priority: int = 0,
    lock: str | None = None,
) -> int:
    params = {
        "queue": queue,
        "task": task,
        "priority": priority,
        "lock": lock,
        "queueing_lock": None,
        "args": json.dumps(args),
    }
    return (await session.exec(DEFER_JOB, params=params)).scalar_one()


async def enqueue_ingestion(*, session: AsyncSession, document_id: str) -> int:
    # The lock keeps two workers from ingesting one document at the same time.
    return await enqueue(
        session=session,
        task=INGEST_DOCUMENT_TASK,
        args={"document_id": document_id},
        queue=KNOWLEDGE_QUEUE,
        lock=f"document:{document_id}",
    )
