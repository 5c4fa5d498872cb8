"""Benchmark learning through logic: ``nesy`` against the ``deepproblog`` package, side by side.

The task is MNIST addition on scikit-learn's 8x8 digits (``examples/digits/learn.py``): a pair of
images (or of N-digit numbers) labelled only with its sum; the rules of
``examples/digits/learning/addition.pl`` (DeepProbLog's program, unchanged) link digits to sums
and ``-log P(sum)`` trains the digit network through them. Both systems get, in one run:

* the same data: training pairs from the ``train`` part of the fixed split of
  ``examples/digits/train.py``, test pairs and images from its ``heldout`` part
  (``learn.sum_examples``; ``--limit K`` gives both the same first K training pairs and
  ``--test-limit K`` the same first K test pairs);
* the same network with the same initial weights: the bundle's CNN (``learn.digit_classifier``,
  raw images to softmax probabilities), one initialised module, ``copy.deepcopy``'d per system;
* the same epochs, batch size and optimizer (Adam, same learning rate), one torch thread
  (each shuffles the training pairs with its own seeded generator: the orders differ).

The defaults are learn.py's batch size and learning rate and 3 epochs (nesy's held-out sum
accuracy is ~0.13 after one epoch, ~0.93 after three): about 1.5 minutes, most of it
DeepProbLog's (~15 s per epoch over the 628 training pairs, ~25 s to answer the 180 test pairs).

DeepProbLog runs as in its own MNIST example: ``Model`` with ``ExactEngine`` and
``cache=True``, ``Network(module, "mnist_net", batching=True)`` with a torch Adam, parameterised
queries (``addition(p0, p1, 7)`` with ``{p0: tensor(digits(i)), p1: tensor(digits(j))}``, so one
circuit per distinct sum), ``DataLoader(batch_size, shuffle=True)`` and
``train.TrainObject.train`` one epoch at a time, timed by wall clock; its sum accuracy is
``evaluate.get_confusion_matrix(model, test).accuracy()`` (the most probable sum). nesy runs
``bridge.NeuralProgram`` with ``neural.Trainer``; its epoch times are the trainer's
(``history.epochs[i].seconds``) and its sum accuracy ``NeuralProgram.accuracy`` (the most
probable sum). Compiling the training circuits is done before the epochs for both (DeepProbLog:
``Model.ground_dataset``; nesy: ``NeuralProgram.prepare``) and reported apart (``compile_s``).
Digit accuracy is the trained network's argmax on the held-out images.

Each system runs in a forked process of its own: both drive SWI-Prolog through pyswip, and
DeepProbLog's import of pyswip starts it in the main thread, where nesy's Prolog thread cannot
share it (the process crashes).

Before training, both systems answer P(query) for the first few training examples with the same
initial weights: ``sanity.max_abs_diff`` must be (near) zero.

Goal (the issue): nesy at least as accurate, and at least 10x less time per epoch, on CPU.

Usage::

    python benchmarks/vs_deepproblog.py [--epochs E] [--batch-size B] [--learning-rate LR]
                                        [--digits 1|2] [--limit K] [--test-limit K]
                                        [--seed S] [--markdown]

One JSON document goes to stdout (``--markdown`` adds a table); progress goes to stderr.
DeepProbLog's own printing is silenced.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import hashlib
import importlib.metadata
import io
import json
import multiprocessing
import os
import platform
import statistics
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
DIGITS_EXAMPLE = ROOT / "examples" / "digits"
for _path in (ROOT, DIGITS_EXAMPLE):  # ``bridge``, ``neural``; ``learn`` and its ``train``
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

DEFAULT_EPOCHS = 3   # nesy's held-out sum accuracy is ~0.13 after 1 epoch, ~0.93 after 3
SANITY_EXAMPLES = 5  # training examples whose P(query) both systems must agree on
SANITY_TOLERANCE = 1e-5
SPEED_GOAL = 10.0    # DeepProbLog's seconds per epoch / nesy's


def log(message: str) -> None:
    """Progress on stderr."""
    print(message, file=sys.stderr, flush=True)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence DeepProbLog: its prints (stdout) and torch's warning about ``float(tensor)``."""
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Converting a tensor with requires_grad")
        yield


def seconds_since(start: float) -> float:
    return round(time.perf_counter() - start, 4)


# --------------------------------------------------------------------------------------------
# Data, shared by both systems
# --------------------------------------------------------------------------------------------


class Data:
    """The examples, the images and the initial network of one run."""

    def __init__(self, n_digits: int, limit: int | None, test_limit: int | None) -> None:
        import learn

        self.program = learn.program_for(n_digits)
        self.source = learn.SOURCE
        self.network_name = learn.NETWORK
        train, _ = learn.sum_examples(n_digits, "train")
        self.available = len(train)
        self.train = train[:limit] if limit else train
        test, _ = learn.sum_examples(n_digits, "heldout")
        self.test = test[:test_limit] if test_limit else test
        self.images = learn.images()
        _, digits, parts = learn.data()
        self.heldout_images = self.images[parts["heldout"]]
        self.heldout_digits = digits[parts["heldout"]]
        self.initial = learn.digit_classifier(learn.SEED).network()  # initialised, untrained

    def network(self) -> Any:
        """A copy of the one initialised network: every system starts from these weights."""
        return copy.deepcopy(self.initial)

    def digit_accuracy(self, module: Any) -> float:
        """The network's argmax on the held-out images against their digits."""
        import torch

        module.eval()
        with torch.no_grad():
            predicted = module(self.heldout_images).argmax(dim=1).numpy()
        return round(float((predicted == self.heldout_digits).mean()), 4)


def weights_digest(module: Any) -> str:
    """sha256 (first 16 hex digits) of a module's parameters and buffers, in name order."""
    state = module.state_dict()
    digest = hashlib.sha256()
    for name in sorted(state):
        digest.update(name.encode())
        digest.update(state[name].detach().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


# --------------------------------------------------------------------------------------------
# DeepProbLog
# --------------------------------------------------------------------------------------------


class TensorSource:
    """DeepProbLog's tensor source: ``tensor(digits(i))`` is looked up as ``source[(i,)]``."""

    def __init__(self, images: Any) -> None:
        self.images = images

    def __getitem__(self, item: Any) -> Any:
        return self.images[int(item[0])]


def to_deepproblog(example: Any) -> Any:
    """A nesy ``Example`` as a parameterised DeepProbLog ``Query``, as DeepProbLog's MNIST
    example writes them: each ``tensor(...)`` input becomes an atom ``p<k>`` and the
    substitution maps it back (``addition(p0, p1, 7)``, ``{p0: tensor(digits(12)), ...}``), so
    that DeepProbLog's cache, keyed by the query before substitution, compiles one circuit
    per distinct sum rather than one per example."""
    from deepproblog.query import Query

    substitution: dict[Any, Any] = {}
    placeholders: dict[str, Any] = {}
    term = _problog_term(example.query, substitution, placeholders)
    return Query(term, substitution, p=example.p, output_ind=example.outputs)


def _problog_term(term: Any, substitution: dict[Any, Any], placeholders: dict[str, Any]) -> Any:
    from problog.logic import Constant, list2term
    from problog.logic import Term as PTerm

    from symbolic import Term, format_term

    if isinstance(term, list):
        return list2term([_problog_term(t, substitution, placeholders) for t in term])
    if isinstance(term, bool) or not isinstance(term, Term | str | int | float):
        raise ValueError(f"cannot translate {term!r} for DeepProbLog")
    if isinstance(term, int | float):
        return Constant(term)
    if isinstance(term, str):
        return PTerm(term)
    if term.functor == "tensor" and len(term.args) == 1:
        key = format_term(term)
        if key not in placeholders:
            placeholder = placeholders[key] = PTerm(f"p{len(placeholders)}")
            substitution[placeholder] = PTerm("tensor", _problog_term(term.args[0], {}, {}))
        return placeholders[key]
    return PTerm(term.functor, *[_problog_term(a, substitution, placeholders)
                                 for a in term.args])


def deepproblog_model(data: Data, module: Any, learning_rate: float) -> Any:
    """DeepProbLog's model of the program, with the exact engine and circuit caching."""
    import torch
    from deepproblog.engines import ExactEngine
    from deepproblog.model import Model
    from deepproblog.network import Network

    network = Network(module, data.network_name, batching=True)
    network.optimizer = torch.optim.Adam(module.parameters(), lr=learning_rate)
    model = Model(str(data.program), [network])
    model.set_engine(ExactEngine(model), cache=True)
    model.add_tensor_source(data.source, TensorSource(data.images))
    return model


def deepproblog_dataset(queries: list[Any]) -> Any:
    """A ``deepproblog.dataset.Dataset`` over a list of queries."""
    from deepproblog.dataset import Dataset

    class Queries(Dataset):
        def __init__(self, items: list[Any]) -> None:
            self.items = items

        def __len__(self) -> int:
            return len(self.items)

        def to_query(self, i: int) -> Any:
            return self.items[i]

    return Queries(queries)


def deepproblog_probabilities(model: Any, queries: Sequence[Any]) -> list[float]:
    """P(query) of each query with the network as it is."""
    import torch

    model.eval()
    with torch.no_grad(), quiet():
        results = model.solve(list(queries))
    return [float(result.result[query.substitute().query])
            for result, query in zip(results, queries, strict=True)]


def result(data: Data, module: Any, epochs: list[dict[str, Any]], sum_accuracy: float,
           compile_s: float, circuits: int, evaluate_s: float,
           probabilities: list[float]) -> dict[str, Any]:
    """What one system reports: its epochs' times, accuracies, compile and evaluation time."""
    return {
        "seconds_per_epoch": round(statistics.median(e["seconds"] for e in epochs), 4),
        "epochs": epochs,
        "sum_accuracy": round(sum_accuracy, 4),
        "digit_accuracy": data.digit_accuracy(module),
        "compile_s": compile_s,
        "circuits": circuits,
        "evaluate_s": evaluate_s,
        "_probabilities": probabilities,
    }


def run_deepproblog(data: Data, module: Any, args: argparse.Namespace) -> dict[str, Any]:
    """Train with DeepProbLog; times per epoch, accuracies."""
    from deepproblog.dataset import DataLoader
    from deepproblog.evaluate import get_confusion_matrix
    from deepproblog.train import TrainObject

    with quiet():
        model = deepproblog_model(data, module, args.learning_rate)
    train = deepproblog_dataset([to_deepproblog(e) for e in data.train])
    test = deepproblog_dataset([to_deepproblog(e) for e in data.test])
    start = time.perf_counter()
    with quiet():
        grounded = model.ground_dataset(train)  # every training circuit, into the cache
    compile_s = seconds_since(start)
    probabilities = deepproblog_probabilities(model, train.to_queries()[:SANITY_EXAMPLES])
    loader = DataLoader(train, args.batch_size, shuffle=True, seed=args.seed)
    trainer = TrainObject(model)
    epochs = []
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        with quiet():
            trainer.train(loader, 1, verbose=0, log_iter=10**9, initial_test=False)
        seconds = seconds_since(start)
        loss = float(trainer.accumulated_loss) / len(loader)  # mean of the batch losses
        epochs.append({"epoch": epoch, "seconds": seconds, "loss": round(loss, 4)})
        log(f"  deepproblog epoch {epoch}: {seconds:.2f} s, loss {loss:.4f}")
    start = time.perf_counter()
    with quiet():
        sum_accuracy = float(get_confusion_matrix(model, test, verbose=0).accuracy())
    evaluate_s = seconds_since(start)
    return result(data, module, epochs, sum_accuracy, compile_s,
                  len(grounded["compile_times"]), evaluate_s, probabilities)


# --------------------------------------------------------------------------------------------
# nesy
# --------------------------------------------------------------------------------------------


def run_nesy(data: Data, module: Any, args: argparse.Namespace) -> dict[str, Any]:
    """Train with nesy's ``NeuralProgram`` and ``Trainer``; times per epoch, accuracies."""
    from bridge import NeuralProgram
    from neural import Trainer

    model = NeuralProgram.from_file(data.program, {data.network_name: module},
                                    {data.source: data.images})
    start = time.perf_counter()
    model.prepare(data.train)  # compiles the circuits; fit's own prepare then finds them
    compile_s = seconds_since(start)
    probabilities = model.probabilities(data.train[:SANITY_EXAMPLES])
    trainer = Trainer(epochs=args.epochs, batch_size=args.batch_size,
                      learning_rate=args.learning_rate, seed=args.seed, validation=0.0,
                      progress=False)
    history = trainer.fit(model, data.train, on_epoch=lambda record: log(
        f"  nesy epoch {record.epoch}: {record.seconds:.3f} s, loss {record.loss:.4f}"))
    epochs = [{"epoch": e.epoch, "seconds": e.seconds, "loss": round(e.loss, 4)}
              for e in history.epochs]
    start = time.perf_counter()
    sum_accuracy = model.accuracy(data.test)
    evaluate_s = seconds_since(start)
    return result(data, module, epochs, sum_accuracy, compile_s, model.circuits, evaluate_s,
                  probabilities)


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {"python": platform.python_version(),
                            "platform": platform.platform(), "cpu_count": os.cpu_count(),
                            "torch_threads": 1}
    for package in ("torch", "deepproblog", "problog", "pysdd"):
        try:
            info[f"{package}_version"] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            info[f"{package}_version"] = None
    return info


def _child(system: Callable[[Data, Any, argparse.Namespace], dict[str, Any]], data: Data,
           args: argparse.Namespace, conn: Connection) -> None:
    """A forked process: train ``system`` on a copy of the initial network; send its result."""
    try:
        import torch

        torch.set_num_threads(1)
        module = data.network()
        initial = weights_digest(module)
        conn.send(("ok", {"initial_weights": initial, **system(data, module, args)}))
    except BaseException:  # reported to the parent
        conn.send(("error", traceback.format_exc(limit=-3)))
    finally:
        conn.close()


def in_process(system: Callable[[Data, Any, argparse.Namespace], dict[str, Any]], data: Data,
               args: argparse.Namespace) -> dict[str, Any]:
    """Run one system in a forked child process.

    Both systems drive SWI-Prolog through pyswip: DeepProbLog imports it (which starts
    SWI-Prolog in the importing thread) and nesy runs it on a thread of its own, which crashes
    once another thread has started it. Each system therefore gets a process of its own; the
    parent never starts Prolog, and the children inherit the data and the initial network.
    """
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(system, data, args, sender), daemon=True)
    process.start()
    sender.close()
    try:
        status, payload = receiver.recv()
    except EOFError:
        status, payload = "error", "the process died"
    process.join()
    receiver.close()
    if status != "ok":
        reason = f"{payload} (exit code {process.exitcode})" if payload == "the process died" \
            else payload
        log(f"  failed: {reason}")
        return {"status": "error", "reason": reason}
    return {"status": "ok", **payload}


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Both systems, one after the other, from the same initial weights; the JSON document."""
    import torch

    torch.set_num_threads(1)
    start = time.perf_counter()
    data = Data(args.digits, args.limit, args.test_limit)
    log(f"{len(data.train)} training examples (of {data.available}), {len(data.test)} test "
        f"examples, N = {args.digits}, {args.epochs} epochs, batch {args.batch_size}, "
        f"Adam lr {args.learning_rate}")
    log("deepproblog")
    dpl = in_process(run_deepproblog, data, args)
    log("nesy")
    nesy = in_process(run_nesy, data, args)
    dpl_p, nesy_p = dpl.pop("_probabilities", None), nesy.pop("_probabilities", None)
    diff = None if dpl_p is None or nesy_p is None else \
        max(abs(a - b) for a, b in zip(dpl_p, nesy_p, strict=True))
    if diff is not None and diff > SANITY_TOLERANCE:
        log(f"WARNING: the two systems disagree on P(query) before training: max |diff| = "
            f"{diff:.3g} > {SANITY_TOLERANCE:g}")
    both = dpl["status"] == nesy["status"] == "ok"
    identical = both and dpl["initial_weights"] == nesy["initial_weights"] == \
        weights_digest(data.initial)
    ratio = dpl["seconds_per_epoch"] / nesy["seconds_per_epoch"] \
        if both and nesy["seconds_per_epoch"] > 0 else None
    version = importlib.metadata.version("deepproblog")
    return {
        "benchmark": "vs_deepproblog",
        "task": f"MNIST addition, N = {args.digits}, on scikit-learn's 8x8 digits",
        "note": f"deepproblog {version} (ExactEngine, cache=True, batching=True) against nesy; "
                "both trained the same network from the same initial weights (copy.deepcopy "
                "of one initialised module), on the same examples, with the same epochs, "
                "batch size and optimizer, on one torch thread, each in a process of its own",
        "settings": {
            "digits": args.digits, "epochs": args.epochs, "batch_size": args.batch_size,
            "optimizer": "adam", "learning_rate": args.learning_rate, "seed": args.seed,
            "training_examples": len(data.train),
            "available_training_examples": data.available, "test_examples": len(data.test),
            "test_limit": args.test_limit,
            "test_images": len(data.heldout_digits),
            "program": str(data.program.relative_to(ROOT)),
            "network": "the digits bundle's CNN (learn.digit_classifier), softmax outputs",
            "same_initial_weights": identical,
        },
        "sanity": {
            "what": f"P(query) of the first {SANITY_EXAMPLES} training examples before "
                    "training, same initial weights",
            "deepproblog": None if dpl_p is None else [round(p, 8) for p in dpl_p],
            "nesy": None if nesy_p is None else [round(p, 8) for p in nesy_p],
            "max_abs_diff": diff,
            "ok": diff is not None and diff <= SANITY_TOLERANCE,
        },
        "deepproblog": dpl,
        "nesy": nesy,
        "time_per_epoch_ratio": None if ratio is None else round(ratio, 1),
        "goal": {
            "time_per_epoch_ratio_at_least": SPEED_GOAL,
            "speed_met": ratio is not None and ratio >= SPEED_GOAL,
            "sum_accuracy_met": both and nesy["sum_accuracy"] >= dpl["sum_accuracy"],
            "digit_accuracy_met": both and nesy["digit_accuracy"] >= dpl["digit_accuracy"],
        },
        "machine": machine_info(),
        "wall_s": round(time.perf_counter() - start, 1),
    }


def markdown(document: dict[str, Any]) -> str:
    """The comparison as a markdown table."""
    settings = document["settings"]
    lines = [f"MNIST addition (N = {settings['digits']}), {settings['training_examples']} "
             f"training pairs, {settings['epochs']} epochs, batch {settings['batch_size']}, "
             f"Adam {settings['learning_rate']:g}, one thread; "
             f"deepproblog {document['machine']['deepproblog_version']}.", "",
             "| system | s / epoch | sum accuracy | digit accuracy | compile s |",
             "|---|---:|---:|---:|---:|"]
    for name in ("deepproblog", "nesy"):
        result = document[name]
        if result["status"] != "ok":
            lines.append(f"| {name} | {result['status']} | - | - | - |")
            continue
        lines.append(f"| {name} | {result['seconds_per_epoch']:.3f} | "
                     f"{result['sum_accuracy']:.3f} | {result['digit_accuracy']:.3f} | "
                     f"{result['compile_s']:.2f} |")
    lines.append(f"\ntime per epoch ratio: {document['time_per_epoch_ratio']}x; "
                 f"max |P diff| before training: {document['sanity']['max_abs_diff']}")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options; batch size and learning rate default to learn.py's settings."""
    import learn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, choices=(1, 2), default=1,
                        help="N: digits per number (default 1; with 2, DeepProbLog compiles "
                             "one circuit per distinct sum, ~1 s each, and answers a test "
                             "example in ~6 s: use --limit and --test-limit)")
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS,
                        help="epochs for both systems (default %(default)s)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="examples per optimizer step (default: learn.py's for N)")
    parser.add_argument("--learning-rate", type=float, default=None,
                        help="Adam's learning rate (default: learn.py's for N)")
    parser.add_argument("--limit", type=int, default=None,
                        help="train both systems on the first K training examples only")
    parser.add_argument("--test-limit", type=int, default=None,
                        help="test both systems on the first K held-out examples only "
                             "(digit accuracy still uses every held-out image)")
    parser.add_argument("--seed", type=int, default=0, help="shuffling seed (default 0)")
    parser.add_argument("--markdown", action="store_true", help="also print a table")
    args = parser.parse_args(argv)
    settings = learn.SETTINGS[args.digits]
    if args.batch_size is None:
        args.batch_size = settings["batch_size"]
    if args.learning_rate is None:
        args.learning_rate = settings["learning_rate"]
    if args.epochs < 1 or args.batch_size < 1:
        parser.error("--epochs and --batch-size must be at least 1")
    if args.learning_rate <= 0:
        parser.error("--learning-rate must be positive")
    if args.limit is not None and args.limit < SANITY_EXAMPLES:
        parser.error(f"--limit must be at least {SANITY_EXAMPLES}")
    if args.test_limit is not None and args.test_limit < 1:
        parser.error("--test-limit must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    document = run(args)
    print(json.dumps(document, indent=2))
    if args.markdown:
        print(markdown(document))
    ok = document["deepproblog"]["status"] == document["nesy"]["status"] == "ok"
    return 0 if ok and document["sanity"]["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
