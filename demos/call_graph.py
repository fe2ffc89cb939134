import asyncio


async def blow_up():
    await asyncio.sleep(0.3)
    asyncio.print_call_graph()
    raise Exception("nested error in async code")


async def bar():
    await asyncio.sleep(0.2)
    await blow_up()


async def foo():
    await asyncio.sleep(0.1)
    await bar()


asyncio.run(foo())
