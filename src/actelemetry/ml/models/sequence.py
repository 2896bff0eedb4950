"""Sequence models (LSTM, GRU; PyTorch, optional): the window of ``seq_len`` rows ending
at each row, cut at the row's lap (the lap's first row repeats before it)."""

from __future__ import annotations

from typing import Any

import numpy as np

from actelemetry.errors import UsageError
from actelemetry.ml.features import ACTIONS
from actelemetry.ml.models.base import NO_TORCH, Model, torch_available
from actelemetry.ml.windows import window_indices


class SequenceModel(Model):
    """A recurrent network over the window of rows ending at each row (never across a lap)."""

    kind = "sequence"
    label = "rnn"
    cell = "gru"

    def __init__(self, features, seed=0, quick=False, seq_len=50, stride=5, hidden_size=64,
                 layers=1, epochs=None, batch_size=256, lr=3e-3, **params):
        if not torch_available():
            raise UsageError(NO_TORCH)
        epochs = epochs or (2 if quick else 8)
        super().__init__(features, seed, quick, seq_len=seq_len, stride=stride,
                         hidden_size=hidden_size, layers=layers, epochs=epochs,
                         batch_size=batch_size, lr=lr, **params)
        self.net: Any = None

    @property
    def history(self) -> int:
        return int(self.params["seq_len"])

    def _build(self, n_features: int) -> Any:
        import torch
        from torch import nn

        cell = nn.LSTM if self.cell == "lstm" else nn.GRU
        p = self.params

        class Net(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.rnn = cell(n_features, p["hidden_size"], num_layers=p["layers"],
                                batch_first=True)
                self.head = nn.Linear(p["hidden_size"], len(ACTIONS))

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                out, _ = self.rnn(x)
                return self.head(out[:, -1])

        return Net()

    def device(self) -> str:
        """Where training runs: the ``device`` parameter, "auto" (the default) being CUDA
        when PyTorch sees a GPU and the CPU otherwise. The trained weights always come back
        to the CPU, where prediction runs (docs/ml.md states how CPU and GPU agree)."""
        import torch

        asked = str(self.params.get("device", "auto"))
        if asked == "auto":
            return "cuda" if torch.cuda.is_available() else "cpu"
        if asked.startswith("cuda") and not torch.cuda.is_available():
            raise UsageError(f"device {asked}: PyTorch sees no GPU here")
        return asked

    def _fit(self, x, y, groups, progress):
        import torch

        torch.manual_seed(self.seed)
        p = self.params
        dev = self.device()
        self.info["device"] = dev
        ends = np.arange(0, len(x), p["stride"])
        windows = window_indices(groups, ends, p["seq_len"])
        xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(dev)
        yt = torch.from_numpy(np.ascontiguousarray(y[ends], dtype=np.float32)).to(dev)
        wt = torch.from_numpy(windows).to(dev)
        self.net = self._build(x.shape[1]).to(dev)
        opt = torch.optim.Adam(self.net.parameters(), lr=p["lr"])
        gen = torch.Generator().manual_seed(self.seed)
        n, bs = len(ends), p["batch_size"]
        steps = max((n + bs - 1) // bs, 1) * p["epochs"]
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=p["lr"], total_steps=steps)
        done = 0
        self.net.train()
        for _ in range(p["epochs"]):
            order = torch.randperm(n, generator=gen).to(dev)
            for lo in range(0, n, bs):
                b = order[lo:lo + bs]
                pred = self.net(xt[wt[b]])
                loss = torch.nn.functional.mse_loss(pred, yt[b])
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                done += 1
                if done % 20 == 0 or done == steps:
                    progress(done / steps)
        self.net.eval()
        self.net.to("cpu")

    def _predict(self, x, groups):
        import torch

        windows = window_indices(groups, np.arange(len(x)), self.params["seq_len"])
        xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
        out = []
        with torch.no_grad():
            for lo in range(0, len(windows), 4096):
                out.append(self.net(xt[torch.from_numpy(windows[lo:lo + 4096])]).numpy())
        return np.concatenate(out)

    def predict_latest(self, rows: np.ndarray) -> np.ndarray:
        import torch

        assert self.normaliser is not None
        n = self.params["seq_len"]
        rows = np.asarray(rows)[-n:]
        if len(rows) < n:  # a lap's first rows: repeat the first, as in training
            rows = np.concatenate([np.repeat(rows[:1], n - len(rows), axis=0), rows])
        xn = self.normaliser.transform(rows)[None]
        with torch.no_grad():
            return self._unscale_y(self.net(torch.from_numpy(xn)).numpy())[0]

    def _state(self) -> bytes:
        import io

        import torch

        buf = io.BytesIO()
        torch.save(self.net.state_dict(), buf)
        return buf.getvalue()

    def _restore(self, blob: bytes) -> None:
        import io

        import torch

        self.net = self._build(len(self.features))
        self.net.load_state_dict(torch.load(io.BytesIO(blob), weights_only=True))
        self.net.eval()


class LSTMModel(SequenceModel):
    """Long short-term memory network over a window of states."""

    label = "lstm"
    cell = "lstm"


class GRUModel(SequenceModel):
    """Gated recurrent unit network over a window of states."""

    label = "gru"
    cell = "gru"
