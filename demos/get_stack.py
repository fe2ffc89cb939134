import asyncio
import io


async def blow_up():
    await asyncio.sleep(0.3)
    raise Exception("nested error in async code")


async def bar():
    await asyncio.sleep(0.2)
    await blow_up()


async def foo():
    await asyncio.sleep(0.1)
    await bar()


async def main():
    task = asyncio.ensure_future(foo())
    await asyncio.sleep(0.45)  # blow_up awaits its sleep
    print("get_stack():", [f.f_code.co_name for f in task.get_stack()])
    printed = io.StringIO()
    task.print_stack(file=printed)
    # Its first line, the task's repr, names the future it waits on: left out.
    print("print_stack():", *printed.getvalue().splitlines()[1:], sep="\n")
    if hasattr(asyncio, "format_call_graph"):
        print(asyncio.format_call_graph(task))
    await task


loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
loop.run_until_complete(main())
loop.close()
