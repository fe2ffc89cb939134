import asyncio

async def blow_up():
    await asyncio.sleep(0.3)
    raise Exception("nested error in async code")

async def main():
    task = asyncio.create_task(blow_up(), name="blow-up")
    print(task)
    await asyncio.sleep(0.4)
    del task  # its exception was never retrieved

asyncio.run(main(), debug=True)
