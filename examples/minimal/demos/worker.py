import asyncio


async def parse(record):
    await asyncio.sleep(0.05)
    if record == 3:
        raise ValueError(f"bad record {record}")
    return record * 2


async def worker(name, records):
    results = []
    for record in records:
        results.append(await parse(record))
    return results


async def main():
    await asyncio.gather(worker("even", [2, 4]), worker("odd", [1, 3]))


asyncio.run(main())
