"""Background job worker (procrastinate on PostgreSQL): ingestion now, outbox retries and more later.

Run by `chatai run` as its own process, or by `chatai worker`. Jobs are enqueued by services
inside their own transactions (services/jobs.py); this module only executes them.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import uuid
from contextlib import suppress
from functools import lru_cache

from procrastinate import App, Blueprint, JobContext, PsycopgConnector, RetryStrategy, builtin_tasks

from chatai_app.outages import OutageFilter, OutageLog, first_line
from chatai_app.services.jobs import INGEST_DOCUMENT_TASK, KNOWLEDGE_QUEUE, TASK_NAMESPACE
from chatai_app.settings import get_settings

log = logging.getLogger("chatai.worker")
# A worker proves it is alive every HEARTBEAT_S; one silent for STALLED_AFTER_S is dead (kill -9, power loss)
# and its jobs go back to the queue, checked every STALLED_CHECK_CRON: a dead worker's job restarts within
# about STALLED_AFTER_S + 5 s (it was 60 s + up to a minute).
HEARTBEAT_S = 2.0
STALLED_AFTER_S = 10.0
STALLED_CHECK_CRON = "* * * * * */5"
RECONNECT_MAX_S = 10.0
OUTAGES = OutageLog(log)

if __name__ == "__main__":
    # `python -m chatai_app.worker` (how `chatai run` starts it): run the importable module instead, so the
    # tasks below exist once, under their real module name (procrastinate warns about an app in __main__).
    from chatai_app.worker import main as _main

    raise SystemExit(_main())


def _libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


# Tasks register on this blueprint at import; `connected_app()` builds the app on the configured database.
tasks = Blueprint()


@lru_cache  # a blueprint's tasks join one app only (namespacing renames them)
def connected_app() -> App:
    app = App(connector=PsycopgConnector(conninfo=_libpq_url(get_settings().require_database_url())))
    app.add_tasks_from(tasks, namespace=TASK_NAMESPACE)
    return app


@tasks.task(
    name=INGEST_DOCUMENT_TASK.removeprefix(TASK_NAMESPACE + ":"),
    queue=KNOWLEDGE_QUEUE,
    retry=RetryStrategy(max_attempts=3, exponential_wait=4),
)
async def ingest_document(document_id: str) -> str:
    from chatai_app.services.knowledge.ingestion import ingest_document as ingest

    status = await ingest(uuid.UUID(document_id))
    log.info("document %s: %s", document_id, status)
    return status


@tasks.task(name="crawl_source", queue=KNOWLEDGE_QUEUE, retry=RetryStrategy(max_attempts=2, exponential_wait=10))
async def crawl_source(source_id: str) -> str:
    """Website import (issue 15): fetch, extract and sync the pages of one source (never in a request handler)."""
    from chatai_app.services.knowledge.websites import crawl_source as crawl

    status = await crawl(uuid.UUID(source_id))
    log.info("website %s: %s", source_id, status)
    return status


@tasks.periodic(cron="* * * * *")
@tasks.task(name="recrawl_due_websites", queueing_lock="recrawl_due_websites")
async def recrawl_due_websites(timestamp: int) -> int:
    """Websites whose scheduled re-crawl is due get a crawl job."""
    from chatai_app.db import session_scope
    from chatai_app.services.knowledge.websites import enqueue_due

    async with session_scope() as session:
        return await enqueue_due(session=session)


@tasks.task(name="telegram_update", queue="telegram", retry=RetryStrategy(max_attempts=5, exponential_wait=2))
async def telegram_update(bot_id: str, update: dict) -> str:
    from chatai_app.services.telegram import process_webhook_update

    return await process_webhook_update(uuid.UUID(bot_id), update)


@tasks.periodic(cron=STALLED_CHECK_CRON)
@tasks.task(name="retry_stalled_jobs", queueing_lock="retry_stalled_jobs", pass_context=True)
async def retry_stalled_jobs(context: JobContext, timestamp: int) -> None:
    """Jobs of a worker that died (kill -9, power loss) go back to the queue (never this worker's own: a late
    heartbeat of a busy loop must not run a job twice)."""
    manager = context.app.job_manager
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER_S):
        if job.worker_id is not None and job.worker_id == context.job.worker_id:
            continue
        log.warning("retrying stalled job %s (%s) of a dead worker", job.id, job.task_name)
        await manager.retry_job(job)


@tasks.periodic(cron="* * * * * */15")  # every 15 s: the wait timeouts are minutes long
@tasks.task(name="expire_waiting_dialogs", queueing_lock="expire_waiting_dialogs")
async def expire_waiting_dialogs(timestamp: int) -> int:
    """Dialogs nobody took in time: the AI resumes, or the visitor is offered the offline form."""
    from chatai_app.services.inbox import expire_waiting_dialogs as expire

    return await expire()


@tasks.periodic(cron="* * * * *")
@tasks.task(name="deliver_mail", queueing_lock="deliver_mail")
async def deliver_mail(timestamp: int) -> int:
    """E-mails a failed or unfinished send left pending (SMTP_URL set): retried every minute."""
    from chatai_app.services.mail import deliver_pending

    return await deliver_pending()


@tasks.periodic(cron="0 * * * *")
@tasks.task(name="prune_finished_jobs", queueing_lock="prune_finished_jobs", pass_context=True)
async def prune_finished_jobs(context: JobContext, timestamp: int) -> None:
    await builtin_tasks.remove_old_jobs(context, max_hours=72, remove_failed=False, remove_cancelled=True)


async def run_until_idle(queues: list[str] | None = None) -> None:
    """Process what is queued, then return (used by the CLI when no `chatai run` is up)."""
    bound = connected_app()
    async with bound.open_async():
        await bound.run_worker_async(queues=queues, wait=False, install_signal_handlers=False)


async def _wait_for_database(stop: asyncio.Event) -> bool:
    """Until PostgreSQL answers (True) or a stop signal (False): one log line per kind of failure."""
    import psycopg

    url, delay = _libpq_url(get_settings().require_database_url()), 0.5
    while not stop.is_set():
        try:
            await (await psycopg.AsyncConnection.connect(url, connect_timeout=3)).close()
            return True
        except (psycopg.Error, OSError) as exc:
            OUTAGES.failed("database_down", first_line(exc), where="worker")
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=delay)
        delay = min(delay * 2, RECONNECT_MAX_S)
    return False


async def _work_until(stop: asyncio.Event, concurrency: int) -> None:
    """One procrastinate worker until it fails (raises), ends by itself (returns) or a stop signal (graceful:
    cancelling it lets the jobs in hand finish)."""
    bound = connected_app()
    async with bound.open_async():
        worker = asyncio.create_task(
            bound.run_worker_async(
                concurrency=concurrency,
                install_signal_handlers=False,
                update_heartbeat_interval=HEARTBEAT_S,
                stalled_worker_timeout=STALLED_AFTER_S,
            )
        )
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({worker, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not worker.done():
            worker.cancel()
            with suppress(asyncio.CancelledError):
                await worker
            return
        worker.result()


async def run_forever(concurrency: int = 2) -> None:
    """Work until SIGINT/SIGTERM. A lost database stops procrastinate's worker; this loop waits for the database
    and starts a worker again (the jobs it had in flight are retried as stalled): the process outlives outages."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    while await _wait_for_database(stop):
        OUTAGES.recovered()
        try:
            await _work_until(stop, concurrency)
            if not stop.is_set():
                log.warning("the job worker stopped by itself (its database connection broke); starting it again")
        except Exception as exc:
            if not OUTAGES.report(exc, where="worker"):
                log.exception("the job worker failed; starting it again")
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # Every job start and end (a periodic one every few seconds) is not news for `chatai run`'s console.
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    logging.getLogger("psycopg.pool").setLevel(logging.ERROR)  # its reconnect attempts: ours say it once
    OutageFilter.install()  # procrastinate's own tracebacks of a lost database become one line per kind
    from chatai_app.services import logbook

    logbook.install(process="worker")  # recent records for the admin console's log viewer
    asyncio.run(run_forever())
