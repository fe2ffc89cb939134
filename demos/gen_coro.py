import asyncio
import types


async def blow_up():
    await asyncio.sleep(0.3)
    raise Exception("nested error in async code")


@types.coroutine
def bar():
    yield from asyncio.sleep(0.2)
    yield from blow_up()


async def foo():
    await asyncio.sleep(0.1)
    await bar()


async def main():
    task = asyncio.ensure_future(foo())
    await asyncio.sleep(0.45)  # blow_up awaits its sleep
    if hasattr(asyncio, "format_call_graph"):
        print(asyncio.format_call_graph(task))
    await task


loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
loop.run_until_complete(main())
loop.close()
