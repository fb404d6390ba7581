"""PyTorch peer of bench/workloads.ts: the same models, batches, optimizers and steps, on CPU,
one thread. Run by bench/run.ts with Debian's /usr/bin/python3 (python3-torch).

usage: peer.py WORKLOAD --steps N --warmup N [--batch N]
Prints one JSON object: {"workload", "ms_per_step", "steps", "torch", "blas"} or {"error": ...}.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # the bench reports this and prints ratio null
    print(json.dumps({"error": f"PyTorch is not installed for {sys.executable} ({e}); "
                      "apt-get install -y python3-torch"}))
    sys.exit(0)

torch.set_num_threads(1)
torch.manual_seed(0)


def mlp(sizes, hidden, out=None):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers.append(hidden())
    if out is not None:
        layers.append(out())
    return nn.Sequential(*layers)


def lrelu():
    return nn.LeakyReLU(0.2)


def vae_mlp(B):
    B = B or 128
    enc, mu, logvar = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
    dec = nn.Sequential(nn.Linear(20, 400), nn.ReLU(), nn.Linear(400, 784))
    params = [*enc.parameters(), *mu.parameters(), *logvar.parameters(), *dec.parameters()]
    opt = torch.optim.Adam(params, lr=1e-3)
    x = (torch.rand(B, 784) < 0.13).float()
    eps = torch.randn(B, 20)

    def step():
        h = F.relu(enc(x))
        m, lv = mu(h), logvar(h)
        z = m + torch.exp(0.5 * lv) * eps
        logits = dec(z)
        rec = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
        kl = -0.5 * torch.sum(1 + lv - m.pow(2) - lv.exp())
        loss = (rec + kl) / B
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return step


def dcgan(B):
    B = B or 64
    Z = 100

    class G(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(Z, 7 * 7 * 128)
            self.bn0 = nn.BatchNorm1d(7 * 7 * 128, track_running_stats=False)
            self.c1 = nn.ConvTranspose2d(128, 64, 4, 2, 1)
            self.bn1 = nn.BatchNorm2d(64, track_running_stats=False)
            self.c2 = nn.ConvTranspose2d(64, 1, 4, 2, 1)

        def forward(self, z):
            h = F.relu(self.bn0(self.fc(z))).view(-1, 128, 7, 7)
            h = F.relu(self.bn1(self.c1(h)))
            return torch.tanh(self.c2(h))

    class D(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = nn.Conv2d(1, 64, 4, 2, 1)
            self.c2 = nn.Conv2d(64, 128, 4, 2, 1)
            self.fc = nn.Linear(7 * 7 * 128, 1)

        def forward(self, x):
            h = F.leaky_relu(self.c1(x), 0.2)
            h = F.leaky_relu(self.c2(h), 0.2)
            return self.fc(h.flatten(1))

    g, d = G(), D()
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real = torch.rand(B, 1, 28, 28) * 2 - 1
    z = torch.randn(B, Z)
    ones, zeros = torch.ones(B, 1), torch.zeros(B, 1)

    def step():
        with torch.no_grad():
            fake = g(z)
        ld = F.binary_cross_entropy_with_logits(d(real), ones) + F.binary_cross_entropy_with_logits(d(fake), zeros)
        opt_d.zero_grad()
        ld.backward()
        opt_d.step()
        lg = F.binary_cross_entropy_with_logits(d(g(z)), ones)
        opt_g.zero_grad()
        lg.backward()
        opt_g.step()
        return ld.item() + 0 * lg.item()

    return step


def realnvp(B):
    B = B or 128
    D, H = 784, 392
    nets = nn.ModuleList([mlp([H, 512, 512, D], nn.ReLU) for _ in range(8)])
    opt = torch.optim.Adam(nets.parameters(), lr=1e-3)
    x = torch.rand(B, D)
    half_log_2pi = 0.5 * math.log(2 * math.pi)

    def step():
        a, b = x[:, :H], x[:, H:]
        logdet = torch.zeros(B)
        for net in nets:
            st = net(a)
            s, t = torch.tanh(st[:, :H]), st[:, H:]
            nb = b * torch.exp(s) + t
            logdet = logdet + s.sum(1)
            b, a = a, nb
        zz = torch.cat([a, b], 1)
        logp = -0.5 * zz.pow(2).sum(1) - D * half_log_2pi
        loss = -(logp + logdet).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return step


def ring(B):
    k = torch.randint(0, 8, (B,)).float() * math.pi / 4
    return torch.stack([2 * torch.cos(k), 2 * torch.sin(k)], 1) + 0.02 * torch.randn(B, 2)


def toy_gan(B):
    B = B or 256
    g = mlp([2, 128, 128, 2], nn.ReLU)
    d = mlp([2, 128, 128, 1], lrelu)
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real, z = ring(B), torch.randn(B, 2)
    ones, zeros = torch.ones(B, 1), torch.zeros(B, 1)

    def step():
        with torch.no_grad():
            fake = g(z)
        ld = F.binary_cross_entropy_with_logits(d(real), ones) + F.binary_cross_entropy_with_logits(d(fake), zeros)
        opt_d.zero_grad()
        ld.backward()
        opt_d.step()
        lg = F.binary_cross_entropy_with_logits(d(g(z)), ones)
        opt_g.zero_grad()
        lg.backward()
        opt_g.step()
        return ld.item() + 0 * lg.item()

    return step


def wgan_gp(B):
    B = B or 256
    g = mlp([2, 128, 128, 2], nn.ReLU)
    c = mlp([2, 128, 128, 1], lrelu)
    opt_g = torch.optim.Adam(g.parameters(), lr=1e-4, betas=(0.5, 0.9))
    opt_d = torch.optim.Adam(c.parameters(), lr=1e-4, betas=(0.5, 0.9))
    real, z, alpha = ring(B), torch.randn(B, 2), torch.rand(B, 1)

    def step():
        with torch.no_grad():
            fake = g(z)
        xhat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        (grad,) = torch.autograd.grad(c(xhat).sum(), xhat, create_graph=True)
        norm = torch.sqrt(grad.pow(2).sum(1) + 1e-12)
        gp = (norm - 1).pow(2).mean()
        ld = c(fake).mean() - c(real).mean() + 10 * gp
        opt_d.zero_grad()
        ld.backward()
        opt_d.step()
        lg = -c(g(z)).mean()
        opt_g.zero_grad()
        lg.backward()
        opt_g.step()
        return ld.item() + 0 * lg.item()

    return step


WORKLOADS = {"vae-mlp": vae_mlp, "dcgan": dcgan, "realnvp": realnvp, "toy-gan": toy_gan, "wgan-gp": wgan_gp}


def blas_name():
    try:
        maps = open("/proc/self/maps").read()
    except OSError:
        return "unknown"
    for name in ("openblas", "mkl", "blis", "atlas"):
        if name in maps:
            return name
    return "reference (libblas3: slow; install libopenblas0)" if "libblas" in maps else "unknown"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("workload", choices=sorted(WORKLOADS))
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--batch", type=int, default=0)
    a = p.parse_args()
    step = WORKLOADS[a.workload](a.batch)
    for _ in range(a.warmup):
        step()
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"workload": a.workload, "ms_per_step": statistics.median(times), "steps": a.steps,
                      "torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_name()}))


if __name__ == "__main__":
    main()
