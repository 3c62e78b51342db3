"""Running a coroutine from a test, whatever event loop the test process already runs (Playwright keeps one)."""
import asyncio
from concurrent.futures import ThreadPoolExecutor


def run_sync(coroutine):
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
