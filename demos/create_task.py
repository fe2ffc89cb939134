import asyncio
import traceback

async def blow_up():
    await asyncio.sleep(0.3)
    traceback.print_stack()
    raise Exception("nested error in async code")

async def bar():
    await asyncio.sleep(0.2)
    task = asyncio.create_task(blow_up())
    await task

async def foo():
    await asyncio.sleep(0.1)
    await bar()

asyncio.run(foo())
