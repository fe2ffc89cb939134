import time

def blow_up():
    time.sleep(0.3)
    raise Exception("nested error in sync code")

def bar():
    time.sleep(0.2)
    blow_up()

def foo():
    time.sleep(0.1)
    bar()

foo()
