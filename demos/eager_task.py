import asyncio


async def blow_up():
    await asyncio.sleep(0.3)
    raise Exception("nested error in async code")


async def bar():
    await asyncio.sleep(0.2)
    await asyncio.create_task(blow_up())


async def foo():
    await asyncio.sleep(0.1)
    await bar()


async def main():
    asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
    await foo()


asyncio.run(main())
