import asyncio

async def blow_up():
    await asyncio.sleep(0.3)
    raise Exception("nested error in async code")

async def main():
    asyncio.get_running_loop().slow_callback_duration = 60  # no "Executing … took 0.1 seconds" from debug mode
    task = asyncio.create_task(blow_up(), name="blow-up")
    print(task)
    await asyncio.sleep(0.4)
    del task  # its exception was never retrieved

asyncio.run(main(), debug=True)
