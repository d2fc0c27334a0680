"""Times the PyTorch (CPU) equivalent of mipcandy benchmark cases.

Reads a JSON list of cases on stdin, prints a JSON list of median milliseconds.
Used only by `deno task bench`, never by tests.
"""
import json
import sys
import time

import torch

torch.set_num_threads(2)


def timed(fn, runs):
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return times[len(times) // 2]


def fwd_bwd(module, x):
    """Forward + backward, timed like ours: backward is seeded with a ready dL/dy of
    ones (allocated here, outside the timed runs) instead of timing a sum, and every
    gradient is dropped after each run so none accumulate across runs."""
    with torch.no_grad():
        seed = torch.ones_like(module(x))
    leaves = [x, *module.parameters()]

    def step():
        module(x).backward(seed)
        for t in leaves:
            t.grad = None

    return step


def case_fn(c):
    kind = c["kind"]
    if kind == "matmul":
        a = torch.randn(c["m"], c["k"])
        b = torch.randn(c["k"], c["n"])
        return lambda: torch.mm(a, b)
    if kind == "add":
        a = torch.randn(c["n"])
        b = torch.randn(c["n"])
        out = torch.empty(c["n"])
        return lambda: torch.add(a, b, out=out)
    if kind == "mlp_step":
        sizes = c["sizes"]
        layers = []
        for i in range(len(sizes) - 1):
            layers.append(torch.nn.Linear(sizes[i], sizes[i + 1], bias=True))
            if i < len(sizes) - 2:
                layers.append(torch.nn.ReLU())
        model = torch.nn.Sequential(*layers)
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        x = torch.randn(c["batch"], sizes[0])
        y = torch.randn(c["batch"], sizes[-1])

        def step():
            opt.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.step()

        return step
    if kind == "conv3d":
        n, cin, cout, s, k, st = c["n"], c["cin"], c["cout"], c["size"], c["k"], c["stride"]
        x = torch.randn(n, cin, s, s, s, requires_grad=c.get("backward", False))
        conv = torch.nn.Conv3d(cin, cout, k, stride=st, padding=k // 2)
        if c.get("backward"):
            return fwd_bwd(conv, x)
        return lambda: torch.no_grad()(conv)(x)
    if kind == "norm_act":
        n, ch, s = c["n"], c["c"], c["size"]
        x = torch.randn(n, ch, s, s, s, requires_grad=c.get("backward", False))
        block = torch.nn.Sequential(
            torch.nn.InstanceNorm3d(ch, affine=True), torch.nn.LeakyReLU(0.01)
        )
        if c.get("backward"):
            return fwd_bwd(block, x)
        return lambda: torch.no_grad()(block)(x)
    if kind == "conv_transpose3d":
        n, cin, cout, s, k, st = c["n"], c["cin"], c["cout"], c["size"], c["k"], c["stride"]
        x = torch.randn(n, cin, s, s, s, requires_grad=c.get("backward", False))
        conv = torch.nn.ConvTranspose3d(cin, cout, k, stride=st)
        if c.get("backward"):
            return fwd_bwd(conv, x)
        return lambda: torch.no_grad()(conv)(x)
    raise ValueError(f"unknown case {kind}")


results = [timed(case_fn(c), c.get("runs", 5)) for c in json.load(sys.stdin)]
print(json.dumps(results))
